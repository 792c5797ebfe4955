"""Tenancy and scope on every service function: default deny, 404 for what you may not see."""

from __future__ import annotations

from typing import Any

import pytest
from pool_support import with_tenancy
from tollfree_fixtures import BOB_NUMBERS, GLOBEX, INITECH, Env, caller

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import access, service
from resources.tollfree.demo import split_70_30

ALL = sorted(GLOBEX + INITECH)


async def numbers(env: Env, who: str) -> list[str]:
    async with env.tx(write=False) as tx:
        return [n.tfn for n in await service.list_numbers(tx, caller=caller(who))]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", ALL),
        ("rita@acme", list(INITECH)),
        ("alice@globex", list(GLOBEX)),
        ("bob@globex", list(BOB_NUMBERS)),
        ("carol@initech", list(INITECH)),
    ],
)
async def test_who_sees_which_numbers(demo: Env, who: str, expected: list[str]) -> None:
    assert await numbers(demo, who) == expected


async def status_of(env: Env, coro_fn: object, **kw: object) -> int:
    try:
        async with env.tx() as tx:
            await coro_fn(tx, **kw)  # type: ignore[operator]
    except ProblemError as exc:
        return exc.status
    return 200


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("bob@globex", "+18885550102", 404),  # his company's, outside his scope
        ("carol@initech", "+18005550100", 404),
        ("rita@acme", "+18005550100", 404),  # Globex is not Acme's customer
        ("alice@globex", "+18775550103", 404),
        ("alice@globex", "+18005550199", 404),  # nobody's
        ("alice@globex", "not-a-number", 404),
        ("bob@globex", "*GLOBEX-STD", 200),  # templates: any tollfree:view of the customer
        ("carol@initech", "*GLOBEX-STD", 404),
        ("rita@acme", "+18775550103", 200),
        ("admin", "+18005550100", 200),
    ],
)
async def test_view_a_target(demo: Env, who: str, target: str, status: int) -> None:
    me = caller(who)
    for fn, kw in (
        (service.get_target, {}),
        (service.list_versions, {}),
        (service.audit, {}),
        (service.get_version, {"number": 1}),
    ):
        got = await status_of(demo, fn, caller=me, target=target, **kw)
        assert (fn.__name__, got) == (fn.__name__, status)


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("bob@globex", "+18005550101", 200),
        ("bob@globex", "+18885550102", 404),
        ("bob@globex", "*GLOBEX-STD", 403),  # sees it, but his edit-routing is scoped
        ("alice@globex", "*GLOBEX-STD", 200),
        ("carol@initech", "+18005550101", 404),
        ("rita@acme", "+18775550103", 200),
    ],
)
async def test_edit_a_target(demo: Env, who: str, target: str, status: int) -> None:
    got = await status_of(
        demo, service.create_version, caller=caller(who), target=target, document=split_70_30()
    )
    assert got == status


async def test_view_only_caller_cannot_edit(demo: Env) -> None:
    viewer = caller("alice@globex")
    viewer = Caller(**{**viewer.__dict__, "entitlements": viewer.entitlements[:1]})
    assert await status_of(demo, service.get_target, caller=viewer, target="+18005550100") == 200
    assert await status_of(demo, service.hold, caller=viewer, target="+18005550100", number=2) == 403


async def test_no_entitlement_sees_nothing(demo: Env) -> None:
    nobody = Caller(**{**caller("alice@globex").__dict__, "entitlements": ()})
    async with demo.tx(write=False) as tx:
        assert await service.list_numbers(tx, caller=nobody) == []
        assert await service.list_templates(tx, caller=nobody) == []
        assert await service.list_labels(tx, caller=nobody) == []
    assert await status_of(demo, service.get_target, caller=nobody, target="+18005550100") == 404


async def test_templates_labels_and_sites_by_tenant(demo: Env) -> None:
    async with demo.tx(write=False) as tx:
        assert [t.name for t in await service.list_templates(tx, caller=caller("bob@globex"))] == [
            "*GLOBEX-STD"
        ]
        assert await service.list_templates(tx, caller=caller("carol@initech")) == []
        assert [
            (lb.customer_id, lb.name) for lb in await service.list_labels(tx, caller=caller("rita@acme"))
        ] == [("initech", "WEEKDAYS")]
        assert [s.name for s in await service.list_sites(tx, caller=caller("alice@globex"))] == [
            "east",
            "west",
        ]
        assert [
            (s.customer_id, s.name) for s in await service.list_sites(tx, caller=caller("rita@acme"))
        ] == [("initech", "main")]
        templates = await service.list_templates(tx, caller=caller("alice@globex"))
        assert [(t.name, t.active_version, t.can_edit) for t in templates] == [("*GLOBEX-STD", 1, True)]
        templates = await service.list_templates(tx, caller=caller("bob@globex"))
        assert [(t.name, t.can_edit) for t in templates] == [("*GLOBEX-STD", False)]


@pytest.mark.parametrize(
    ("who", "status"), [("bob@globex", 403), ("alice@globex", 200), ("carol@initech", 200)]
)
async def test_scoped_edit_routing_cannot_change_labels_or_templates(
    demo: Env, who: str, status: int
) -> None:
    me = caller(who)
    assert (
        await status_of(demo, service.save_label, caller=me, name="NIGHT", kind="tod", values=["18:00-24:00"])
        == status
    )
    assert await status_of(demo, service.create_template, caller=me, name=f"T-{who[:3].upper()}") == status
    if status == 200:
        assert await status_of(demo, service.delete_label, caller=me, name="NIGHT") == 200


async def test_foreign_customer_is_404_for_labels(demo: Env) -> None:
    assert await status_of(
        demo, service.save_label, caller=caller("alice@globex"), name="X1", kind="npa", values=["312"],
        customer_id="initech",
    ) == 404  # fmt: skip
    assert await status_of(demo, service.delete_label, caller=caller("carol@initech"), name="HOLIDAYS") == 404


async def test_sites_are_staff_only(demo: Env) -> None:
    await with_tenancy(demo)
    uri = "sip:10.0.0.9:5060"
    assert await status_of(
        demo, service.save_site, caller=caller("alice@globex"), customer_id="globex", name="north", uri=uri
    ) == 403  # fmt: skip
    assert await status_of(
        demo, service.save_site, caller=caller("rita@acme"), customer_id="globex", name="north", uri=uri
    ) == 404  # fmt: skip
    assert await status_of(
        demo, service.save_site, caller=caller("rita@acme"), customer_id="initech", name="north", uri=uri
    ) == 200  # fmt: skip


async def test_assign_number_is_provider_only_and_validated(demo: Env) -> None:
    await with_tenancy(demo)
    rita, admin = caller("rita@acme"), caller("admin")
    kw: dict[str, Any] = {
        "tfn": "+18445550105", "customer_id": "initech", "reseller_chain": ["acme"], "description": "New",
    }  # fmt: skip
    assert await status_of(demo, service.assign_number, caller=rita, **kw) == 403
    assert await status_of(demo, service.assign_number, caller=caller("alice@globex"), **kw) == 403
    async with demo.tx() as tx:
        view = await service.assign_number(tx, caller=admin, **kw)
    assert (view.tfn, view.customer_id, view.reseller_chain) == ("+18445550105", "initech", ("acme",))
    assert await numbers(demo, "rita@acme") == ["+18445550105", *INITECH]
    assert await status_of(demo, service.assign_number, caller=admin, **kw) == 409
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.assign_number(tx, caller=admin, tfn="+12125550100", customer_id="Bad Id")
    assert caught.value.errors == [
        {"field": "tfn", "message": "212 is not a toll-free area code (800, 833, 844, 855, 866, 877, 888)."},
        {
            "field": "customer_id",
            "message": "Give the customer's id (lowercase letters, digits, - or _), like globex.",
        },
    ]
    with pytest.raises(ValidationFailed) as caught:
        async with demo.tx() as tx:
            await service.assign_number(tx, caller=admin, tfn="800555", customer_id="globex")
    assert caught.value.errors == [{"field": "tfn", "message": "Enter a toll-free number like +18005550100."}]


async def problem_of(env: Env, fn: Any, **kw: Any) -> tuple[int, str]:
    try:
        async with env.tx() as tx:
            await fn(tx, **kw)
    except ProblemError as exc:
        return exc.status, str(exc.detail)
    raise AssertionError("no problem raised")


async def errors_of(env: Env, fn: Any, **kw: Any) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        async with env.tx() as tx:
            await fn(tx, **kw)
    return caught.value.errors


async def test_numbers_and_sites_go_only_to_customers_the_directory_knows(demo: Env) -> None:
    admin, tfn, uri = caller("admin"), "+18445550105", "sip:10.0.0.9:5060"
    assign, save = service.assign_number, service.save_site
    detail = "the tenancy tree has not arrived from the directory yet; try again shortly"
    assert await problem_of(demo, assign, caller=admin, tfn=tfn, customer_id="initech") == (503, detail)
    site = {"name": "n", "uri": uri}
    assert await problem_of(demo, save, caller=admin, customer_id="initech", **site) == (503, detail)
    await with_tenancy(demo)
    for org in ("switchboard", "acme", "nobody"):
        assert await errors_of(demo, assign, caller=admin, tfn=tfn, customer_id=org) == [
            {"field": "customer_id", "message": f"{org} is not a customer in the directory."}
        ]
        assert await problem_of(demo, save, caller=admin, customer_id=org, name="n", uri=uri) == (
            404, "no such customer"
        )  # fmt: skip
    assert await errors_of(
        demo, assign, caller=admin, tfn=tfn, customer_id="vandelay", reseller_chain=["acme"]
    ) == [
        {
            "field": "reseller_chain",
            "message": "vandelay's resellers are acme, acme-west; leave the chain out or give exactly that.",
        }
    ]
    assert await problem_of(demo, assign, caller=admin, tfn=tfn, customer_id="soylent") == (
        409, "soylent is suspended"
    )  # fmt: skip
    assert await problem_of(demo, assign, caller=admin, tfn=tfn, customer_id="umbrella") == (
        409, "umbrella is suspended"
    )  # fmt: skip
    assert await problem_of(demo, save, caller=admin, customer_id="soylent", name="n", uri=uri) == (
        409, "soylent is suspended"
    )  # fmt: skip
    async with demo.tx() as tx:
        view = await assign(tx, caller=admin, tfn=tfn, customer_id="vandelay")
    assert (view.customer_id, view.reseller_chain) == ("vandelay", ("acme", "acme-west"))


async def test_the_system_caller_seeds_before_the_directory_answers(demo: Env) -> None:
    """The demo loader and the CLI run before any picture arrived: they name the chain."""
    system = access.system_caller("cli")
    async with demo.tx() as tx:
        view = await service.assign_number(
            tx, caller=system, tfn="+18445550105", customer_id="newco", reseller_chain=["acme"]
        )
        site = await service.save_site(
            tx, caller=system, customer_id="newco", name="n", uri="sip:10.0.0.9:5060"
        )
    assert (view.customer_id, view.reseller_chain, site.name) == ("newco", ("acme",), "n")
