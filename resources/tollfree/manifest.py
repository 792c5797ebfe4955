"""What the toll-free resource declares: actions, rules (default deny), menu entries."""

from __future__ import annotations

from typing import Any

from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table

VIEW = "tollfree:view"
EDIT_ROUTING = "tollfree:edit-routing"
MANAGE_NUMBERS = "tollfree:manage-numbers"
ROUTE_QUERY = "tollfree:route-query"
VIEW_AUDIT = "tollfree:view-audit"

ACTIONS = (
    Action(
        name=VIEW,
        description="See toll-free numbers, their routing plans and history; simulate calls",
        scope_kind="numbers",
    ),
    Action(
        name=EDIT_ROUTING,
        description=(
            "Edit, schedule, activate, hold and roll back routing plans; templates and labels "
            "need this on all of the customer's numbers"
        ),
        scope_kind="numbers",
    ),
    Action(
        name=MANAGE_NUMBERS,
        description="Provider and reseller staff: assign numbers, define call-center sites, import origins",
        staff_only=True,
    ),
    Action(
        name=VIEW_AUDIT,
        description=(
            "Read the change log: who changed which routing plan, number or site, when, before and "
            "after — for your whole company (staff: for your customers)"
        ),
    ),
    Action(
        name=ROUTE_QUERY,
        description="Network element (switch, simulator): ask the SCP where a toll-free call goes",
        scope_kind="service",
    ),
)

# Both kinds of routing record (a number's plan, a shared template) have the same pages.
_TARGETS = ("/numbers/{tfn}", "/templates/{name}")
_VERBS = ("activate", "hold", "release", "cancel", "rollback")


def _target_rules(prefix: str) -> list[tuple[str, str, str]]:
    rules: list[tuple[str, str, str]] = []
    for target in _TARGETS:
        base = prefix + target
        rules += [
            ("GET", base, VIEW),
            ("GET", f"{base}/versions", VIEW),
            ("POST", f"{base}/versions", EDIT_ROUTING),
            ("GET", f"{base}/versions/{{n}}", VIEW),
            ("PUT", f"{base}/versions/{{n}}", EDIT_ROUTING),
            ("POST", f"{base}/versions/{{n}}/edit", EDIT_ROUTING),
            ("GET", f"{base}/versions/{{n}}/dialog", EDIT_ROUTING),
            ("GET", f"{base}/versions/{{n}}/diff", VIEW),
            ("POST", f"{base}/simulate", VIEW),
            ("POST", f"{base}/whatif", VIEW),
            ("GET", f"{base}/audit", VIEW),
            *((("POST", f"{base}/versions/{{n}}/{verb}", EDIT_ROUTING)) for verb in _VERBS),
        ]
    return rules


def _rules() -> tuple[Rule, ...]:
    customer: list[tuple[str, str, str]] = [
        # pages (HTML) and JSON API share the shape; the API lives under /api
        ("GET", "/numbers", VIEW),
        ("GET", "/templates", VIEW),
        ("POST", "/templates", EDIT_ROUTING),
        ("GET", "/labels", VIEW),
        ("POST", "/labels", EDIT_ROUTING),
        ("POST", "/labels/{name}/delete", EDIT_ROUTING),
        ("GET", "/sites", VIEW),
        ("GET", "/audit", VIEW_AUDIT),
        ("GET", "/admin", MANAGE_NUMBERS),
        ("POST", "/admin/numbers", MANAGE_NUMBERS),
        ("POST", "/admin/sites", MANAGE_NUMBERS),
        ("POST", "/admin/origin", MANAGE_NUMBERS),
        # number pools (pool.py): the provider fills resellers' pools, their staff assign from them
        ("GET", "/admin/pool", MANAGE_NUMBERS),
        ("POST", "/admin/pool", MANAGE_NUMBERS),
        ("POST", "/admin/pool/{tfn}/assign", MANAGE_NUMBERS),
        ("POST", "/admin/pool/{tfn}/delete", MANAGE_NUMBERS),
        *_target_rules(""),
        ("GET", "/api/numbers", VIEW),
        ("POST", "/api/numbers", MANAGE_NUMBERS),
        ("DELETE", "/api/numbers/{tfn}", MANAGE_NUMBERS),
        ("GET", "/api/pool", MANAGE_NUMBERS),
        ("POST", "/api/pool", MANAGE_NUMBERS),
        ("POST", "/api/pool/{tfn}/assign", MANAGE_NUMBERS),
        ("DELETE", "/api/pool/{tfn}", MANAGE_NUMBERS),
        ("GET", "/api/audit", VIEW_AUDIT),
        ("GET", "/api/templates", VIEW),
        ("POST", "/api/templates", EDIT_ROUTING),
        ("GET", "/api/labels", VIEW),
        ("PUT", "/api/labels/{name}", EDIT_ROUTING),
        ("DELETE", "/api/labels/{name}", EDIT_ROUTING),
        ("GET", "/api/sites", VIEW),
        ("PUT", "/api/sites/{customer_id}/{name}", MANAGE_NUMBERS),
        ("DELETE", "/api/sites/{customer_id}/{name}", MANAGE_NUMBERS),
        ("POST", "/api/origin/import", MANAGE_NUMBERS),
        ("GET", "/api/origin/lookup", VIEW),
        *_target_rules("/api"),
    ]
    network: list[tuple[str, str, str]] = [
        ("POST", "/network/route", ROUTE_QUERY),
        ("GET", "/network/status", ROUTE_QUERY),
    ]
    return rule_table(customer=customer, network=network)


def _create_app(settings: Any) -> Any:
    from resources.tollfree.app import create_app

    return create_app(settings)


async def _seed_demo(settings: Any) -> None:
    from resources.tollfree.demo import seed

    await seed(settings)


MANIFEST = Manifest(
    name="tollfree",
    title="Toll-free",
    description="Toll-free numbers, routing plans (CPR trees), templates, labels and the SCP",
    create_app=_create_app,
    demo=_seed_demo,
    actions=ACTIONS,
    rules=_rules(),
    nav=(
        NavEntry(title="Toll-free numbers", path="/tollfree/numbers", action=VIEW, order=10),
        NavEntry(title="Routing templates", path="/tollfree/templates", action=VIEW, order=11),
        NavEntry(title="Network changes", path="/tollfree/audit", action=VIEW_AUDIT, order=84),
        NavEntry(title="Toll-free admin", path="/tollfree/admin", action=MANAGE_NUMBERS, order=70),
    ),
)
