"""callcenter service on a migrated SQLite file: effective-dated changes, scope, audit, events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from callcenter_support import ALICE, MAIN, T0, Rig, person, rig, site

from resources.callcenter import service
from resources.callcenter.context import CHANGED, transaction
from resources.callcenter.distribution import Member, Method
from resources.kit.errors import ProblemError, ValidationFailed

__all__ = ["rig"]


async def seed(rig: Rig) -> None:
    async with transaction(rig.ctx, write=True) as tx:
        for raw in (site("east", 5, 5071), site("west", 10, 5072), site("south", 3, 5073)):
            await service.change_site(tx, caller=ALICE, customer_id="globex", raw=raw)
        await service.change_distribution(tx, caller=ALICE, customer_id="globex", raw=MAIN)


async def test_changes_take_effect_when_dated_and_are_audited_with_before_and_after(rig: Rig) -> None:
    await seed(rig)
    assert rig.bus.published == [(CHANGED, {"customer_id": "globex"})]  # one commit, one event
    later = T0 + timedelta(hours=2)
    async with transaction(rig.ctx, write=True) as tx:
        row = await service.change_site(
            tx, caller=ALICE, customer_id="globex", raw=site("west", 40, 5072), effective_at=later
        )
        assert (row.number, row.effective_at, row.created_by) == (2, later, "id-alice@globex")
    async with transaction(rig.ctx, write=False) as tx:
        now = await service.config_at(tx, caller=ALICE, customer_id="globex")
        then = await service.config_at(tx, caller=ALICE, customer_id="globex", at=later)
        log = await service.audit_log(tx, caller=ALICE, customer_id="globex")
    assert (now.sites["west"].capacity, then.sites["west"].capacity) == (10, 40)
    assert sorted(now.sites) == ["east", "south", "west"]
    assert now.distributions["main"].members == (Member("east", 60), Member("west", 40))
    assert now.distributions["main"].method is Method.PERCENT
    newest = log[0]
    assert (newest.action, newest.kind, newest.name, newest.revision, newest.session) == (
        "site.change",
        "site",
        "west",
        2,
        "sess-1",
    )
    assert (newest.before or {})["capacity"] == 10
    assert (newest.after or {})["capacity"] == 40
    assert [r.action for r in log] == [
        "site.change",
        "distribution.create",
        "site.create",
        "site.create",
        "site.create",
    ]


async def test_cancel_a_scheduled_change_then_roll_back_an_applied_one(rig: Rig) -> None:
    await seed(rig)
    async with transaction(rig.ctx, write=True) as tx:
        await service.change_site(tx, caller=ALICE, customer_id="globex", raw=site("east", 8, 5071))
        await service.change_site(
            tx,
            caller=ALICE,
            customer_id="globex",
            raw=site("east", 20, 5071),
            effective_at=T0 + timedelta(hours=1),
        )
    rig.clock.now = T0 + timedelta(minutes=5)
    async with transaction(rig.ctx, write=True) as tx:
        cancelled = await service.cancel_revision(
            tx, caller=ALICE, customer_id="globex", kind="site", name="east", number=3
        )
        assert cancelled.cancelled is True
        restored = await service.rollback_to(
            tx, caller=ALICE, customer_id="globex", kind="site", name="east", number=1
        )
        assert (restored.number, restored.effective_at) == (4, T0 + timedelta(minutes=5))
    async with transaction(rig.ctx, write=False) as tx:
        later = await service.config_at(tx, caller=ALICE, customer_id="globex", at=T0 + timedelta(hours=2))
        history = await service.history(tx, caller=ALICE, customer_id="globex", kind="site", name="east")
    assert later.sites["east"].capacity == 5
    assert [(r.number, (r.document or {}).get("capacity"), r.cancelled) for r in history] == [
        (1, 5, False),
        (2, 8, False),
        (3, 20, True),
        (4, 5, False),
    ]


async def problem(coro: Any) -> tuple[int, str | None, list[dict[str, str]]]:
    with pytest.raises(ProblemError) as caught:
        await coro
    errors = caught.value.errors if isinstance(caught.value, ValidationFailed) else []
    return caught.value.status, caught.value.detail, errors


async def test_refusals_change_nothing_and_say_why(rig: Rig) -> None:
    await seed(rig)
    async with transaction(rig.ctx, write=True) as tx:
        assert await problem(
            service.change_site(tx, caller=ALICE, customer_id="globex", raw=site("east", -1, 5071))
        ) == (
            422,
            "must be a whole number of agents or trunks from 0 to 100,000",
            [
                {
                    "field": "capacity",
                    "message": "must be a whole number of agents or trunks from 0 to 100,000",
                }
            ],
        )
        assert await problem(
            service.change_distribution(
                tx, caller=ALICE, customer_id="globex", raw=MAIN | {"overflow": ["north"]}
            )
        ) == (
            422,
            "'north' is not one of your sites",
            [{"field": "overflow[0]", "message": "'north' is not one of your sites"}],
        )
        assert await problem(
            service.remove(tx, caller=ALICE, customer_id="globex", kind="site", name="south")
        ) == (
            409,
            "site south is used by distribution main; change that first",
            [],
        )
        assert await problem(
            service.change_site(tx, caller=ALICE, customer_id="globex", raw=site("east", 5, 5071))
        ) == (
            422,
            "site east is already configured like that then",
            [{"field": "site", "message": "site east is already configured like that then"}],
        )
        assert await problem(
            service.change_site(
                tx,
                caller=ALICE,
                customer_id="globex",
                raw=site("east", 6, 5071),
                effective_at=T0 - timedelta(minutes=1),
            )
        ) == (
            422,
            "must be now or later (a change cannot apply to the past)",
            [
                {
                    "field": "effective_at",
                    "message": "must be now or later (a change cannot apply to the past)",
                }
            ],
        )
    async with transaction(rig.ctx, write=False) as tx:
        log = await service.audit_log(tx, caller=ALICE, customer_id="globex")
    assert len(log) == 4  # the seed's rows only
    assert rig.bus.published == [(CHANGED, {"customer_id": "globex"})]


async def test_tenancy_and_site_scope(rig: Rig) -> None:
    await seed(rig)
    wendy = person("initech", name="wendy@initech")
    east_only = person(view=("east", "south"), edit=("east",), name="bob@globex")
    viewer = person(edit=False, name="vic@globex")
    reseller = person(None, kind="reseller", name="zed@zenith")
    async with transaction(rig.ctx, write=True) as tx:
        assert (await problem(service.config_at(tx, caller=wendy, customer_id="globex")))[:2] == (
            404,
            "no such customer",
        )
        assert (await problem(service.config_at(tx, caller=reseller, customer_id="globex")))[:2] == (
            404,
            "no such customer",
        )
        seen = await service.config_at(tx, caller=east_only, customer_id="globex")
        assert (sorted(seen.sites), sorted(seen.distributions)) == (["east", "south"], [])  # main names west
        assert (
            await problem(
                service.history(tx, caller=east_only, customer_id="globex", kind="site", name="west")
            )
        )[:2] == (
            404,
            "no such site: west",
        )
        await service.change_site(tx, caller=east_only, customer_id="globex", raw=site("east", 7, 5071))
        assert (
            await problem(
                service.change_site(tx, caller=east_only, customer_id="globex", raw=site("south", 9, 5073))
            )
        )[:2] == (
            403,
            "your entitlement does not cover site south",
        )
        assert (
            await problem(
                service.change_site(tx, caller=viewer, customer_id="globex", raw=site("east", 9, 5071))
            )
        )[:2] == (
            403,
            "you may view call centers but not change them",
        )
        provider = person(None, kind="provider", name="pat@provider")
        assert sorted((await service.config_at(tx, caller=provider, customer_id="globex")).sites) == [
            "east",
            "south",
            "west",
        ]
        log = await service.audit_log(tx, caller=east_only, customer_id="globex")
    assert [(r.action, r.name) for r in log] == [
        ("site.change", "east"),
        ("site.create", "south"),
        ("site.create", "east"),
    ]


async def test_reseller_staff_reach_the_customers_below_them_once_the_tree_arrived(rig: Rig) -> None:
    import logging
    from dataclasses import replace

    await seed(rig)
    zed = replace(person(None, kind="reseller", name="zed@zenith"), org_id="zenith")
    ann = replace(person(None, kind="reseller", name="ann@acme"), org_id="acme")
    tree = {
        "orgs": [
            {"id": "provider", "kind": "provider", "parent_id": None, "chain": [], "suspended": False},
            {
                "id": "zenith",
                "kind": "reseller",
                "parent_id": "provider",
                "chain": ["zenith"],
                "suspended": False,
            },
            {
                "id": "acme",
                "kind": "reseller",
                "parent_id": "provider",
                "chain": ["acme"],
                "suspended": False,
            },
            {
                "id": "globex",
                "kind": "customer",
                "parent_id": "zenith",
                "chain": ["zenith"],
                "suspended": False,
            },
        ]
    }
    async with transaction(rig.ctx, write=False) as tx:  # before the tree: nobody's
        assert (await problem(service.config_at(tx, caller=zed, customer_id="globex")))[:2] == (
            404,
            "no such customer",
        )
    assert rig.ctx.tenancy.apply(tree, log=logging.getLogger("test")) is True
    async with transaction(rig.ctx, write=False) as tx:
        assert sorted((await service.config_at(tx, caller=zed, customer_id="globex")).sites) == [
            "east",
            "south",
            "west",
        ]
        assert (await problem(service.config_at(tx, caller=ann, customer_id="globex")))[:2] == (
            404,
            "no such customer",
        )
