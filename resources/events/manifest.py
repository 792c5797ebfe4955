"""What the events resource declares: actions, rules (default deny), the menu entry."""

from __future__ import annotations

from typing import Any

from resources.events.access import MANAGE, REPORT, VIEW
from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table

TMF = "/api/tmf-api/alarmManagement/v4/alarm"

ACTIONS = (
    Action(
        name=VIEW,
        description="See your company's alarms (TMF642), their history and feed, the quality thresholds, "
        "the notification subscriptions and the demo mail outbox",
    ),
    Action(
        name=MANAGE,
        description="Acknowledge, unacknowledge and comment alarms; change the quality thresholds and "
        "the notification subscriptions (e-mail, webhook)",
    ),
    Action(
        name=REPORT,
        description="Network element (the switch): report conditions that raise or clear alarms",
        scope_kind="service",
    ),
)


def _rules() -> tuple[Rule, ...]:
    customer: list[tuple[str, str, str]] = [
        # pages (views.py); the gateway checks CSRF on every POST
        ("GET", "/alarms", VIEW),
        ("GET", "/alarms/subscriptions", VIEW),
        ("POST", "/alarms/subscriptions", MANAGE),
        ("POST", "/alarms/subscriptions/{subscription_id}/delete", MANAGE),
        ("GET", "/alarms/outbox", VIEW),
        ("GET", "/alarms/rows", VIEW),
        ("GET", "/alarms/count", VIEW),
        ("WS", "/alarms/ws", VIEW),
        ("GET", "/alarms/live.js", VIEW),
        ("GET", "/alarms/{alarm_id}", VIEW),
        ("POST", "/alarms/{alarm_id}/ack", MANAGE),
        ("POST", "/alarms/{alarm_id}/unack", MANAGE),
        ("POST", "/alarms/{alarm_id}/comment", MANAGE),
        ("GET", "/thresholds", VIEW),
        ("POST", "/thresholds", MANAGE),
        ("POST", "/thresholds/{metric}/{target}/delete", MANAGE),
        # JSON (routes.py)
        ("GET", TMF, VIEW),
        ("GET", TMF + "/{alarm_id}", VIEW),
        ("PATCH", TMF + "/{alarm_id}", MANAGE),
        ("GET", "/api/feed", VIEW),
        ("GET", "/api/open-count", VIEW),
        ("GET", "/api/thresholds", VIEW),
        ("GET", "/api/thresholds/{metric}/{target}", VIEW),
        ("PUT", "/api/thresholds/{metric}/{target}", MANAGE),
        ("DELETE", "/api/thresholds/{metric}/{target}", MANAGE),
        ("GET", "/api/subscriptions", VIEW),
        ("POST", "/api/subscriptions", MANAGE),
        ("DELETE", "/api/subscriptions/{subscription_id}", MANAGE),
    ]
    return rule_table(
        customer=customer,
        network=[
            ("POST", "/network/conditions", REPORT),
            ("POST", "/network/probes", REPORT),
            ("GET", "/network/probe-list", REPORT),
        ],
    )


def _create_app(settings: Any) -> Any:
    from resources.events.app import create_app

    return create_app(settings)


async def _seed_demo(settings: Any) -> None:
    from resources.events.demo import seed

    await seed(settings)


MANIFEST = Manifest(
    name="events",
    title="Alarms",
    description="Event monitor: TMF642 alarms per customer, raised from conditions, cleared with hysteresis",
    create_app=_create_app,
    demo=_seed_demo,
    actions=ACTIONS,
    rules=_rules(),
    nav=(NavEntry(title="Alarms", path="/events/alarms", action=VIEW, order=30),),
)
