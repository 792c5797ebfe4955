"""Number pools (service): the provider fills resellers' pools; rita@acme sees and assigns only
acme's, to customers below acme; zed@zenith only zenith's; unassigning returns a reseller's
customer's number to the pool it came from; every move is audited."""

from __future__ import annotations

from typing import Any

import pytest
from pool_support import as_caller, with_tenancy
from sqlalchemy import select
from tollfree_fixtures import START, Env

from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import customers, pool
from resources.tollfree import repository as repo
from resources.tollfree.models import AuditRow
from resources.tollfree.pool import PoolNumber
from resources.tollfree.shapes import NumberView

ACME_1, ACME_2, ZENITH_1 = "+18335550201", "+18335550202", "+18445550301"


def entry(tfn: str, holder: str, chain: tuple[str, ...], by: str = "admin") -> PoolNumber:
    return PoolNumber(tfn=tfn, holder=holder, chain=chain, added_at=START, added_by=by)


@pytest.fixture
async def pools(demo: Env) -> Env:
    """The demo, the tenancy picture, and three pooled numbers: two acme's, one zenith's."""
    await with_tenancy(demo)
    admin = as_caller("admin")
    async with demo.tx() as tx:
        for tfn, reseller in ((ACME_1, "acme"), (ACME_2, "acme"), (ZENITH_1, "zenith")):
            await pool.add_to_pool(tx, caller=admin, tfn=tfn, reseller=reseller)
    demo.bus.published.clear()
    return demo


async def listed(env: Env, user: str, reseller: str | None = None) -> list[PoolNumber]:
    async with env.tx(write=False) as tx:
        return await pool.list_pool(tx, caller=as_caller(user), reseller=reseller)


async def fails(env: Env, call: Any, **kw: Any) -> tuple[int, str | None]:
    with pytest.raises(ProblemError) as caught:
        async with env.tx() as tx:
            await call(tx, **kw)
    return caught.value.status, caught.value.detail


async def audits(env: Env, tfn: str) -> list[dict[str, Any]]:
    async with env.tx(write=False) as tx:
        rows = (
            await tx.session.execute(select(AuditRow).where(AuditRow.target == tfn).order_by(AuditRow.id))
        ).scalars()
        return [
            {"actor": r.actor_name, "customer_id": r.customer_id, "action": r.action, "before": r.before,
             "after": r.after, "at": r.at, "session": r.session}
            for r in rows
        ]  # fmt: skip


# --- seeing pools ------------------------------------------------------------------------------


async def test_each_reseller_sees_only_its_own_pool(pools: Env) -> None:
    acme = [entry(ACME_1, "acme", ("acme",)), entry(ACME_2, "acme", ("acme",))]
    zenith = [entry(ZENITH_1, "zenith", ("zenith",))]
    assert await listed(pools, "admin") == acme + zenith
    assert await listed(pools, "admin", "zenith") == zenith
    assert await listed(pools, "rita@acme") == acme
    assert await listed(pools, "rita@acme", "acme") == acme
    assert await listed(pools, "zed@zenith") == zenith
    assert await fails(pools, pool.list_pool, caller=as_caller("rita@acme"), reseller="zenith") == (
        404, "no such pool",
    )  # fmt: skip
    assert await fails(pools, pool.list_pool, caller=as_caller("alice@globex")) == (
        403, "only provider or reseller staff manage number pools",
    )  # fmt: skip


async def test_assignable_customers_are_those_below_and_not_suspended(pools: Env) -> None:
    async with pools.tx(write=False) as tx:
        assert await pool.assignable_customers(tx, caller=as_caller("admin")) == {
            "acme": ["initech", "vandelay"], "zenith": ["hooli"],
        }  # fmt: skip
        assert await pool.assignable_customers(tx, caller=as_caller("rita@acme")) == {
            "acme": ["initech", "vandelay"]
        }
        assert await pool.assignable_customers(tx, caller=as_caller("zed@zenith")) == {"zenith": ["hooli"]}


# --- the provider fills pools ------------------------------------------------------------------


async def test_adding_to_a_pool_is_audited_and_changes_no_assignment(demo: Env) -> None:
    await with_tenancy(demo)
    async with demo.tx() as tx:
        added = await pool.add_to_pool(tx, caller=as_caller("admin"), tfn="8445550399", reseller="acme-west")
    assert added == entry("+18445550399", "acme-west", ("acme", "acme-west"))
    assert await audits(demo, "+18445550399") == [
        {"actor": "admin", "customer_id": None, "action": "pool.add", "before": None,
         "after": {"pool": "acme-west", "chain": ["acme", "acme-west"]}, "at": START, "session": "sess-1"},
    ]  # fmt: skip
    assert demo.topics() == []


@pytest.mark.parametrize(
    ("user", "tfn", "reseller", "expected"),
    [
        ("rita@acme", "+18335550299", "acme", (403, "only provider staff may do this")),
        ("zed@zenith", "+18335550299", "zenith", (403, "only provider staff may do this")),
        ("admin", "+18335550299", "hooli", (422, "hooli is not a reseller.")),
        ("admin", "+18335550299", "nobody", (422, "nobody is not a reseller.")),
        ("admin", "+18335550299", "gone", (409, "gone is suspended")),
        ("admin", "+18005550100", "acme", (409, "+18005550100 is assigned to globex")),
        ("admin", ZENITH_1, "acme", (409, "+18445550301 is already in the pool of zenith")),
    ],
)
async def test_adding_refusals(
    pools: Env, user: str, tfn: str, reseller: str, expected: tuple[int, str]
) -> None:
    got = await fails(pools, pool.add_to_pool, caller=as_caller(user), tfn=tfn, reseller=reseller)
    assert got == expected


async def test_adding_names_every_bad_field(pools: Env) -> None:
    with pytest.raises(ValidationFailed) as caught:
        async with pools.tx() as tx:
            await pool.add_to_pool(tx, caller=as_caller("admin"), tfn="+12125550100", reseller=" ")
    assert caught.value.errors == [
        {"field": "tfn", "message": "212 is not a toll-free area code (800, 833, 844, 855, 866, 877, 888)."},
        {"field": "reseller", "message": "Name the reseller, like acme."},
    ]


async def test_without_the_tenancy_tree_nothing_moves(demo: Env) -> None:
    detail = "the tenancy tree has not arrived from the directory yet; try again shortly"
    assert await fails(demo, pool.add_to_pool, caller=as_caller("admin"), tfn=ACME_1, reseller="acme") == (
        503, detail,
    )  # fmt: skip


async def test_the_provider_takes_a_number_out_of_a_pool(pools: Env) -> None:
    async with pools.tx() as tx:
        await pool.remove_from_pool(tx, caller=as_caller("admin"), tfn=ZENITH_1)
    assert await listed(pools, "zed@zenith") == []
    assert (await audits(pools, ZENITH_1))[-1] == {
        "actor": "admin", "customer_id": None, "action": "pool.remove",
        "before": {"pool": "zenith", "chain": ["zenith"]}, "after": None, "at": START, "session": "sess-1",
    }  # fmt: skip
    assert await fails(pools, pool.remove_from_pool, caller=as_caller("admin"), tfn=ZENITH_1) == (
        404, "no such number in any pool",
    )  # fmt: skip
    assert await fails(pools, pool.remove_from_pool, caller=as_caller("rita@acme"), tfn=ACME_1) == (
        403, "only provider staff may do this",
    )  # fmt: skip


# --- resellers assign from their pool ----------------------------------------------------------


async def test_rita_assigns_from_her_pool_to_her_customer(pools: Env) -> None:
    rita = as_caller("rita@acme")
    async with pools.tx() as tx:
        view = await pool.assign_from_pool(
            tx, caller=rita, tfn=ACME_1, customer_id="initech", description=" Initech sales "
        )
    assert view == NumberView(
        tfn=ACME_1, customer_id="initech", description="Initech sales", reseller_chain=("acme",),
        active=None, pending=(), drafts=(),
    )  # fmt: skip
    async with pools.tx(write=False) as tx:
        row = await repo.get_number(tx.session, ACME_1)
        assert row is not None
        assert (row.customer_id, row.reseller_chain, row.description, row.assigned_at, row.assigned_by) == (
            "initech", ["acme"], "Initech sales", START, "rita@acme",
        )  # fmt: skip
    assert await listed(pools, "rita@acme") == [entry(ACME_2, "acme", ("acme",))]
    assert (await audits(pools, ACME_1))[-1] == {
        "actor": "rita@acme", "customer_id": "initech", "action": "pool.assign",
        "before": {"pool": "acme", "chain": ["acme"]},
        "after": {"customer_id": "initech", "reseller_chain": ["acme"], "description": "Initech sales"},
        "at": START, "session": "sess-1",
    }  # fmt: skip
    assert pools.topics() == [
        ("tollfree.plans-changed", {"targets": [ACME_1]}),
        ("tollfree.numbers-wanted", {}),
    ]


async def test_a_customer_of_a_sub_reseller_gets_the_whole_chain(pools: Env) -> None:
    async with pools.tx() as tx:
        view = await pool.assign_from_pool(
            tx, caller=as_caller("rita@acme"), tfn=ACME_2, customer_id="vandelay"
        )
    assert (view.customer_id, view.reseller_chain) == ("vandelay", ("acme", "acme-west"))


@pytest.mark.parametrize(
    ("user", "tfn", "customer", "expected"),
    [
        # another reseller's customer, the provider's direct customer, a stranger, a reseller
        ("rita@acme", ACME_1, "hooli", (404, "no customer hooli below acme")),
        ("rita@acme", ACME_1, "globex", (404, "no customer globex below acme")),
        ("rita@acme", ACME_1, "nobody", (404, "no customer nobody below acme")),
        ("rita@acme", ACME_1, "acme-west", (404, "no customer acme-west below acme")),
        ("rita@acme", ACME_1, "soylent", (409, "soylent is suspended")),
        # another reseller's pool looks exactly like no pool at all
        ("rita@acme", ZENITH_1, "initech", (404, "no such number in your pool")),
        ("rita@acme", "+18335550999", "initech", (404, "no such number in your pool")),
        ("rita@acme", "not-a-number", "initech", (404, "no such number in your pool")),
        ("zed@zenith", ACME_1, "hooli", (404, "no such number in your pool")),
        ("zed@zenith", ZENITH_1, "initech", (404, "no customer initech below zenith")),
        # the provider may assign from any pool, still only below its holder
        ("admin", ACME_1, "globex", (404, "no customer globex below acme")),
        ("admin", "+18335550999", "globex", (404, "no such number in any pool")),
        ("alice@globex", ACME_1, "globex", (403, "only provider or reseller staff manage number pools")),
    ],
)
async def test_assigning_refusals(
    pools: Env, user: str, tfn: str, customer: str, expected: tuple[int, str]
) -> None:
    got = await fails(pools, pool.assign_from_pool, caller=as_caller(user), tfn=tfn, customer_id=customer)
    assert got == expected
    assert [(e.tfn, e.holder) for e in await listed(pools, "admin")] == [
        (ACME_1, "acme"), (ACME_2, "acme"), (ZENITH_1, "zenith"),
    ]  # fmt: skip


async def test_zed_assigns_from_his_pool(pools: Env) -> None:
    async with pools.tx() as tx:
        view = await pool.assign_from_pool(
            tx, caller=as_caller("zed@zenith"), tfn=ZENITH_1, customer_id="hooli"
        )
    assert (view.tfn, view.customer_id, view.reseller_chain) == (ZENITH_1, "hooli", ("zenith",))
    assert await listed(pools, "zed@zenith") == []
    assert await listed(pools, "rita@acme") == [
        entry(ACME_1, "acme", ("acme",)),
        entry(ACME_2, "acme", ("acme",)),
    ]


async def test_a_bad_customer_id_is_a_field_error(pools: Env) -> None:
    with pytest.raises(ValidationFailed) as caught:
        async with pools.tx() as tx:
            await pool.assign_from_pool(
                tx, caller=as_caller("rita@acme"), tfn=ACME_1, customer_id="Not Valid"
            )
    assert caught.value.errors == [
        {
            "field": "customer_id",
            "message": "Give the customer's id (lowercase letters, digits, - or _), like globex.",
        }
    ]


# --- taking numbers back -----------------------------------------------------------------------


async def test_unassigning_a_resellers_customers_number_returns_it_to_that_pool(pools: Env) -> None:
    admin = as_caller("admin")
    async with pools.tx() as tx:
        back = await pool.unassign_number(tx, caller=admin, tfn="+18665550104")  # initech, assigned directly
    assert back == entry("+18665550104", "acme", ("acme",))
    assert await listed(pools, "rita@acme") == [
        entry(ACME_1, "acme", ("acme",)),
        entry(ACME_2, "acme", ("acme",)),
        entry("+18665550104", "acme", ("acme",)),
    ]
    trail = await audits(pools, "+18665550104")
    assert [(a["action"], a["customer_id"]) for a in trail[-2:]] == [
        ("number.unassign", "initech"), ("pool.return", "initech"),
    ]  # fmt: skip
    assert trail[-1] == {
        "actor": "admin", "customer_id": "initech", "action": "pool.return",
        "before": {"customer_id": "initech", "reseller_chain": ["acme"]},
        "after": {"pool": "acme", "chain": ["acme"]}, "at": START, "session": "sess-1",
    }  # fmt: skip
    assert pools.topics() == [
        ("tollfree.plans-changed", {"targets": ["+18665550104"]}),
        ("tollfree.numbers-wanted", {}),
    ]
    async with pools.tx(write=False) as tx:
        assert await repo.get_number(tx.session, "+18665550104") is None


async def test_a_number_goes_back_to_the_pool_it_came_from(pools: Env) -> None:
    """Assigned from acme's pool to vandelay (below acme-west): back to acme, not acme-west;
    assigned directly to vandelay: to the nearest reseller, acme-west."""
    admin = as_caller("admin")
    async with pools.tx() as tx:
        await pool.assign_from_pool(tx, caller=as_caller("rita@acme"), tfn=ACME_1, customer_id="vandelay")
        await customers.assign_number(
            tx, caller=admin, tfn="+18555550400", customer_id="vandelay", reseller_chain=("acme", "acme-west")
        )
    async with pools.tx() as tx:
        assert await pool.unassign_number(tx, caller=admin, tfn=ACME_1) == entry(ACME_1, "acme", ("acme",))
        assert await pool.unassign_number(tx, caller=admin, tfn="+18555550400") == entry(
            "+18555550400", "acme-west", ("acme", "acme-west")
        )


async def test_a_direct_customers_number_goes_nowhere(pools: Env) -> None:
    async with pools.tx() as tx:
        assert await pool.unassign_number(tx, caller=as_caller("admin"), tfn="+18005550101") is None
    assert [e.tfn for e in await listed(pools, "admin")] == [ACME_1, ACME_2, ZENITH_1]
    assert (await audits(pools, "+18005550101"))[-1]["action"] == "number.unassign"


async def test_unassigning_refusals(pools: Env) -> None:
    assert await fails(pools, pool.unassign_number, caller=as_caller("rita@acme"), tfn="+18665550104") == (
        403, "only provider staff may do this",
    )  # fmt: skip
    assert await fails(pools, pool.unassign_number, caller=as_caller("admin"), tfn="+18335550999") == (
        404, "no such number",
    )  # fmt: skip


@pytest.mark.integration
async def test_a_round_trip_on_postgresql(pg_demo: Env) -> None:
    """The replica, a pool, an assignment and the way back on PostgreSQL (JSON columns, row locks)."""
    await with_tenancy(pg_demo)
    admin, rita = as_caller("admin"), as_caller("rita@acme")
    async with pg_demo.tx() as tx:
        await pool.add_to_pool(tx, caller=admin, tfn=ACME_1, reseller="acme")
    async with pg_demo.tx() as tx:
        view = await pool.assign_from_pool(tx, caller=rita, tfn=ACME_1, customer_id="vandelay")
    assert view.reseller_chain == ("acme", "acme-west")
    async with pg_demo.tx() as tx:
        assert await pool.unassign_number(tx, caller=admin, tfn=ACME_1) == entry(ACME_1, "acme", ("acme",))
    assert await listed(pg_demo, "rita@acme") == [entry(ACME_1, "acme", ("acme",))]
    assert [a["action"] for a in await audits(pg_demo, ACME_1)] == [
        "pool.add", "pool.assign", "number.unassign", "pool.return",
    ]  # fmt: skip


async def test_a_pooled_number_cannot_be_assigned_around_its_pool(pools: Env) -> None:
    got = await fails(
        pools, customers.assign_number, caller=as_caller("admin"), tfn=ACME_1, customer_id="globex"
    )
    assert got == (409, f"{ACME_1} is in acme's pool: take it out of the pool or assign it from there")
    assert [p.tfn for p in await listed(pools, "rita@acme")] == [ACME_1, ACME_2]
