"""What the traffic resource declares: actions, rules (default deny), menu entries."""

from __future__ import annotations

from typing import Any

from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table

VIEW = "traffic:view"
INGEST_STATUS = "traffic:ingest-status"
INGEST = "traffic:ingest"

ACTIONS = (
    Action(
        name=VIEW,
        description=(
            "Watch live traffic, 5-minute history and call detail records of toll-free numbers "
            "and call-center sites (scoped to numbers)"
        ),
        scope_kind="numbers",
    ),
    Action(
        name=INGEST_STATUS,
        description="Provider and reseller staff: ingest health per network element and rejected input",
        staff_only=True,
    ),
    Action(
        name=INGEST,
        description="Network element (switch, simulator): report call events and CDRs",
        scope_kind="service",
    ),
)


def _rules() -> tuple[Rule, ...]:
    customer: list[tuple[str, str, str]] = [
        ("GET", "/live", VIEW),
        ("WS", "/live/ws", VIEW),
        ("GET", "/history", VIEW),
        ("GET", "/calls", VIEW),
        ("GET", "/calls/{call_id}", VIEW),
        ("GET", "/ingest", INGEST_STATUS),
        ("GET", "/api/live", VIEW),
        ("GET", "/api/buckets", VIEW),
        ("GET", "/api/calls", VIEW),
        ("GET", "/api/calls/{call_id}", VIEW),
        ("GET", "/api/ingest", INGEST_STATUS),
    ]
    network: list[tuple[str, str, str]] = [
        ("POST", "/network/events", INGEST),
        ("GET", "/network/status", INGEST),
    ]
    return rule_table(customer=customer, network=network)


def _create_app(settings: Any) -> Any:
    from resources.traffic.app import create_app

    return create_app(settings)


MANIFEST = Manifest(
    name="traffic",
    title="Traffic",
    description="Call events and CDRs from the switch: live monitor, 5-minute history, call records",
    create_app=_create_app,
    actions=ACTIONS,
    rules=_rules(),
    nav=(
        NavEntry(title="Live traffic", path="/traffic/live", action=VIEW, order=20),
        NavEntry(title="Traffic history", path="/traffic/history", action=VIEW, order=21),
        NavEntry(title="Call records", path="/traffic/calls", action=VIEW, order=22),
        NavEntry(title="Traffic ingest", path="/traffic/ingest", action=INGEST_STATUS, order=71),
    ),
)
