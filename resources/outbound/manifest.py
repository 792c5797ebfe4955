"""What the outbound resource declares: actions, rules (default deny), the menu entry."""

from __future__ import annotations

from typing import Any

from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table
from resources.outbound.access import EDIT, VIEW

DECIDE = "outbound:decide"
KINDS = ("policies", "groups", "lines", "account-codes")

ACTIONS = (
    Action(
        name=VIEW,
        description="See your company's outbound calling: lines, policies, groups, account codes, audit",
    ),
    Action(
        name=EDIT,
        description=(
            "Change what your company's users may dial: policies, groups, lines, account codes, and set "
            "authorization codes"
        ),
    ),
    Action(
        name=DECIDE,
        description="Network element (the switch): ask whether an outbound call may go out",
        scope_kind="service",
    ),
)


def _page_rules() -> list[tuple[str, str, str]]:
    """The pages (views.py): GET shows, POST changes (the gateway checks CSRF on every POST)."""
    rules: list[tuple[str, str, str]] = [
        ("GET", "/audit", VIEW),
        ("POST", "/lines/{number}/code", EDIT),
        ("POST", "/lines/{number}/code/delete", EDIT),
    ]
    for kind in KINDS:
        rules += [
            ("GET", f"/{kind}", VIEW),
            ("POST", f"/{kind}", EDIT),
            ("POST", f"/{kind}/{{name}}/delete", EDIT),
        ]
    return rules


def _rules() -> tuple[Rule, ...]:
    customer: list[tuple[str, str, str]] = [
        *_page_rules(),
        ("GET", "/api/config", VIEW),
        ("GET", "/api/audit", VIEW),
    ]
    for kind in KINDS:
        customer += [("PUT", f"/api/{kind}/{{name}}", EDIT), ("DELETE", f"/api/{kind}/{{name}}", EDIT)]
    customer += [
        ("PUT", "/api/lines/{name}/authorization-code", EDIT),
        ("DELETE", "/api/lines/{name}/authorization-code", EDIT),
    ]
    return rule_table(customer=customer, network=[("POST", "/network/decide", DECIDE)])


def _create_app(settings: Any) -> Any:
    from resources.outbound.app import create_app

    return create_app(settings)


async def _seed_demo(settings: Any) -> None:
    from resources.outbound.demo import seed

    await seed(settings)


MANIFEST = Manifest(
    name="outbound",
    title="Outbound calling",
    description="What each of a customer's users may dial: calling classes, policies, authorization codes",
    create_app=_create_app,
    demo=_seed_demo,
    actions=ACTIONS,
    rules=_rules(),
    nav=(NavEntry(title="Outbound calling", path="/outbound/lines", action=VIEW, order=40),),
)
