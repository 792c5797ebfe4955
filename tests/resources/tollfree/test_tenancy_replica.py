"""The replica of the directory's tenancy tree: parsing, the questions pools ask it, storing
(only a different picture is written; a malformed one is ignored), asking for a picture when it
starts, and surviving a restart (it lives in `tollfree_tenancy`)."""

from __future__ import annotations

import asyncio
import copy
import logging
import re
from typing import Any

import pytest
from pool_support import PICTURE, org
from tollfree_fixtures import Env

from resources.kit.db import create_engine, create_sessionmaker, unit_of_work
from resources.kit.tenancy import TENANCY, TENANCY_WANTED, Org, Tenancy, parse_tenancy
from resources.tollfree.context import Context
from resources.tollfree.tenancy import apply_tenancy, load_tenancy, run_tenancy_replica, store_tenancy

KIND = "is not one of provider, reseller, customer"
BOOL = "is not true or false"


async def loaded(env: Env) -> Tenancy:
    async with env.tx(write=False) as tx:
        return await load_tenancy(tx.session)


def test_parse_sorts_by_id_and_keeps_every_field() -> None:
    orgs = parse_tenancy(PICTURE)
    assert [o.id for o in orgs] == [
        "acme", "acme-west", "globex", "gone", "hooli", "initech", "soylent", "switchboard", "umbrella",
        "vandelay", "zenith",
    ]  # fmt: skip
    assert orgs[1] == Org(
        id="acme-west", kind="reseller", parent_id="acme", chain=("acme", "acme-west"), suspended=False
    )
    assert orgs[6] == Org(id="soylent", kind="customer", parent_id="acme", chain=("acme",), suspended=True)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (None, 'the payload has no "orgs" list'),
        ({"orgs": {}}, 'the payload has no "orgs" list'),
        ({"orgs": ["acme"]}, "orgs[0] is not an object"),
        ({"orgs": [org("", "reseller", None, [])]}, "orgs[0].id is not an org id"),
        ({"orgs": [org("x" * 65, "reseller", None, [])]}, "orgs[0].id is not an org id"),
        ({"orgs": [org("a", "company", None, [])]}, f"orgs[0].kind {KIND}"),
        ({"orgs": [org("a", "customer", 7, [])]}, "orgs[0].parent_id is not an org id or null"),  # type: ignore[arg-type]
        ({"orgs": [org("a", "customer", None, "acme")]}, "orgs[0].chain is not a list of org ids"),  # type: ignore[arg-type]
        ({"orgs": [org("a", "customer", None, [""])]}, "orgs[0].chain is not a list of org ids"),
        ({"orgs": [{**org("a", "customer", None, []), "suspended": 0}]}, f"orgs[0].suspended {BOOL}"),
        ({"orgs": [org("a", "customer", None, [])] * 2}, "org ids appear twice: a"),
    ],
)  # fmt: skip
def test_parse_refuses_a_malformed_picture(payload: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_tenancy(payload)


def test_the_questions_pools_ask() -> None:
    tree = Tenancy(parse_tenancy(PICTURE))
    assert len(tree) == 11
    assert tree.is_customer_below("initech", "acme") is True
    assert tree.is_customer_below("vandelay", "acme") is True  # nested: below acme-west below acme
    assert tree.is_customer_below("vandelay", "acme-west") is True
    assert tree.is_customer_below("initech", "acme-west") is False
    assert tree.is_customer_below("hooli", "acme") is False
    assert tree.is_customer_below("globex", "acme") is False
    assert tree.is_customer_below("acme-west", "acme") is False  # a reseller, not a customer
    assert tree.is_customer_below("nobody", "acme") is False
    assert tree.is_customer_below("initech", "initech") is False
    assert tree.is_suspended("soylent") is True
    assert tree.is_suspended("umbrella") is True  # its reseller is suspended
    assert tree.is_suspended("initech") is False
    assert tree.is_suspended("nobody") is False
    assert tree.customers_below("acme") == ["initech", "vandelay"]
    assert tree.customers_below("acme-west") == ["vandelay"]
    assert tree.customers_below("zenith") == ["hooli"]
    assert tree.customers_below("gone") == []
    assert tree.customers_below("globex") == []


def test_a_cycle_in_the_parents_does_not_loop() -> None:
    tree = Tenancy(parse_tenancy({"orgs": [org("a", "customer", "b", []), org("b", "reseller", "a", ["b"])]}))
    assert [o.id for o in tree.ancestors("a")] == ["a", "b"]
    assert tree.is_customer_below("a", "b") is True


async def test_only_a_different_picture_is_written(env: Env) -> None:
    assert await apply_tenancy(env.ctx, PICTURE) is True
    assert await apply_tenancy(env.ctx, copy.deepcopy(PICTURE)) is False
    changed = copy.deepcopy(PICTURE)
    changed["orgs"][6]["suspended"] = True  # initech
    changed["orgs"] = changed["orgs"][:8]  # soylent, hooli, umbrella are gone
    assert await apply_tenancy(env.ctx, changed) is True
    tree = await loaded(env)
    assert len(tree) == 8
    assert tree.get("initech") == Org(
        id="initech", kind="customer", parent_id="acme", chain=("acme",), suspended=True
    )
    assert tree.get("hooli") is None
    async with env.tx() as tx:
        assert await store_tenancy(tx.session, parse_tenancy(changed)) is False


async def test_a_malformed_picture_keeps_the_last_good_one(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    await apply_tenancy(env.ctx, PICTURE)
    with caplog.at_level(logging.WARNING, logger="resources.tollfree"):
        assert await apply_tenancy(env.ctx, {"orgs": [{"id": "acme"}]}) is False
    assert [r.getMessage() for r in caplog.records] == [
        f"directory.tenancy: ignoring a malformed picture: orgs[0].kind {KIND}"
    ]
    assert len(await loaded(env)) == 11


async def test_the_replica_asks_at_start_and_follows_the_topic(env: Env) -> None:
    async with run_tenancy_replica(env.ctx):
        assert env.topics() == [(TENANCY_WANTED, {})]
        await env.bus.publish(TENANCY, PICTURE)
        for _ in range(200):  # the bus delivers asynchronously; no timing is asserted
            if len(await loaded(env)):
                break
            await asyncio.sleep(0.01)
        assert (await loaded(env)).customers_below("acme") == ["initech", "vandelay"]
    assert env.topics() == [(TENANCY_WANTED, {}), (TENANCY, PICTURE)]


async def test_a_restart_knows_the_tree_before_the_directory_answers(env: Env) -> None:
    await apply_tenancy(env.ctx, PICTURE)
    engine = create_engine(url=env.ctx.settings.database_url, schema=None)  # a new process
    try:
        again = Context.build(settings=env.ctx.settings, maker=create_sessionmaker(engine), clock=env.clock)
        async with run_tenancy_replica(again), unit_of_work(again.maker, write=False) as session:
            tree = await load_tenancy(session)
    finally:
        await engine.dispose()
    assert env.topics() == [(TENANCY_WANTED, {})]  # nobody answered
    assert tree.customers_below("zenith") == ["hooli"]
