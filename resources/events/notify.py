"""Who hears of an alarm change: the deliveries a log row causes, written in the change's own
transaction (engine.transition calls `enqueue`), so a crash between the commit and the send loses
nothing and a rolled-back change sends nothing (deliver.py sends them later).

A subscription matches a log row when it is not disabled, wants the row's kind (`kinds`) and the
alarm's severity is at least `min_severity` (critical > major > minor > warning; indeterminate
counts as warning). A clear is judged by the severity the alarm had before it cleared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from resources.events import outbox_repository as outbox
from resources.events.context import Tx
from resources.events.models import AlarmRow, DeliveryRow, LogRow, SubscriptionRow
from resources.events.tmf import stamp

MIN_SEVERITIES = ("critical", "major", "minor", "warning")
RANK: Mapping[str, int] = {"critical": 4, "major": 3, "minor": 2, "warning": 1, "indeterminate": 1}
NOTIFY_KINDS = ("raised", "updated", "cleared", "acknowledged", "unacknowledged", "commented")
DEFAULT_KINDS = ("raised", "cleared")


def matches(sub: SubscriptionRow, *, kind: str, severity: str) -> bool:
    return (
        sub.disabled_at is None
        and kind in sub.kinds
        and RANK.get(severity, 0) >= RANK.get(sub.min_severity, 99)
    )


def payload_of(row: LogRow, *, severity: str, resellers: Sequence[str]) -> dict[str, Any]:
    """What a delivery carries: the log row without its seq (the delivery row has it), the
    severity it was judged by and the customer's reseller chain (the mail's brand)."""
    return {
        "kind": row.kind,
        "customer_id": row.customer_id,
        "alarm_id": row.alarm_id,
        "at": stamp(row.at),
        "actor": row.actor,
        "alarm": row.alarm,
        "severity": severity,
        "resellers": list(resellers),
    }


def entry_of(delivery: DeliveryRow) -> dict[str, Any]:
    """The log row a delivery tells of, as the feed and `events.alarm` show it."""
    p = delivery.payload
    return {
        "seq": delivery.seq,
        "kind": p["kind"],
        "customer_id": p["customer_id"],
        "alarm_id": p["alarm_id"],
        "at": p["at"],
        "actor": p["actor"],
        "alarm": p["alarm"],
    }


async def _subscriptions(tx: Tx, customer_id: str) -> list[SubscriptionRow]:
    cached = tx.subscriptions.get(customer_id)
    if cached is None:
        with tx.session.no_autoflush:  # the caller's pending rows flush where it decides
            cached = await outbox.subscriptions(tx.session, customer_id=customer_id)
        tx.subscriptions[customer_id] = cached
    return cached


async def enqueue(tx: Tx, alarm: AlarmRow, row: LogRow, *, severity: str) -> list[DeliveryRow]:
    """One pending delivery per subscription of the alarm's customer that matches `row`."""
    out: list[DeliveryRow] = []
    for sub in await _subscriptions(tx, alarm.customer_id):
        if not matches(sub, kind=row.kind, severity=severity):
            continue
        delivery = DeliveryRow(
            subscription_id=sub.id,
            customer_id=alarm.customer_id,
            log=row,
            channel=sub.kind,
            payload=payload_of(row, severity=severity, resellers=alarm.resellers),
            state="pending",
            attempts=0,
            next_attempt_at=tx.now,
            created_at=tx.now,
        )
        tx.session.add(delivery)
        out.append(delivery)
    return out
