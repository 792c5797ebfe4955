"""What the callcenter resource declares: actions, rules (default deny), the menu entry."""

from __future__ import annotations

from typing import Any

from resources.callcenter.access import EDIT, VIEW
from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table

ROUTE_QUERY = "callcenter:route-query"

ACTIONS = (
    Action(
        name=VIEW,
        description=(
            "See call-center sites (hours, capacity), distributions, their history and audit "
            "(scoped to sites)"
        ),
        scope_kind="sites",
    ),
    Action(
        name=EDIT,
        description=(
            "Change sites and distributions now or from a later time, cancel scheduled changes, roll back "
            "(scoped to sites; a distribution needs every site it names)"
        ),
        scope_kind="sites",
    ),
    Action(
        name=ROUTE_QUERY,
        description="Network element (the switch): ask which call-center sites a toll-free call goes to",
        scope_kind="service",
    ),
)


def _page_rules() -> list[tuple[str, str, str]]:
    """The pages (views.py): GET shows, POST changes (the gateway checks CSRF on every POST)."""
    rules: list[tuple[str, str, str]] = [
        ("GET", "/audit", VIEW),
        ("POST", "/sites/{name}/capacity", EDIT),
        ("POST", "/sites/{name}/close-today", EDIT),
    ]
    for kind in ("sites", "distributions"):
        rules += [
            ("GET", f"/{kind}", VIEW),
            ("POST", f"/{kind}", EDIT),
            ("POST", f"/{kind}/{{name}}", EDIT),
            ("POST", f"/{kind}/{{name}}/delete", EDIT),
            ("GET", f"/{kind}/{{name}}/revisions", VIEW),
            ("POST", f"/{kind}/{{name}}/revisions/{{number}}/cancel", EDIT),
            ("POST", f"/{kind}/{{name}}/revisions/{{number}}/rollback", EDIT),
        ]
    return rules


def _rules() -> tuple[Rule, ...]:
    customer: list[tuple[str, str, str]] = [
        *_page_rules(),
        ("GET", "/api/audit", VIEW),
        ("GET", "/api/live", VIEW),
    ]
    for kind in ("sites", "distributions"):
        customer += [
            ("GET", f"/api/{kind}", VIEW),
            ("GET", f"/api/{kind}/{{name}}/revisions", VIEW),
            ("PUT", f"/api/{kind}/{{name}}", EDIT),
            ("DELETE", f"/api/{kind}/{{name}}", EDIT),
            ("POST", f"/api/{kind}/{{name}}/revisions/{{number}}/cancel", EDIT),
            ("POST", f"/api/{kind}/{{name}}/revisions/{{number}}/rollback", EDIT),
        ]
    return rule_table(customer=customer, network=[("POST", "/network/route", ROUTE_QUERY)])


def _create_app(settings: Any) -> Any:
    from resources.callcenter.app import create_app

    return create_app(settings)


async def _seed_demo(settings: Any) -> None:
    from resources.callcenter.demo import seed

    await seed(settings)


MANIFEST = Manifest(
    name="callcenter",
    title="Call centers",
    description="Call-center sites, their hours and capacity, and the distributions that steer calls",
    create_app=_create_app,
    demo=_seed_demo,
    actions=ACTIONS,
    rules=_rules(),
    nav=(NavEntry(title="Call centers", path="/callcenter/sites", action=VIEW, order=30),),
)
