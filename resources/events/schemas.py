"""What the events API writes besides TMF642 alarms (tmf.py): log rows (the feed, `events.alarm`
payloads, an alarm's history) and audit rows."""

from __future__ import annotations

from typing import Any

from resources.events.models import AuditRow, LogRow
from resources.events.tmf import stamp


def entry_json(row: LogRow) -> dict[str, Any]:
    """A log row: the feed's item and the `events.alarm` payload."""
    return {
        "seq": row.seq,
        "kind": row.kind,
        "customer_id": row.customer_id,
        "alarm_id": row.alarm_id,
        "at": stamp(row.at),
        "actor": row.actor,
        "alarm": row.alarm,
    }


def audit_json(row: AuditRow) -> dict[str, Any]:
    return {
        "at": stamp(row.at),
        "actor": row.actor_name,
        "action": row.action,
        "name": row.name,
        "before": row.before,
        "after": row.after,
    }
