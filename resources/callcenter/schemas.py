"""What the callcenter API reads and writes besides the documents themselves (sites.py,
hours.py and distribution.py parse those): instants, revision and audit rows as JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from resources.callcenter.models import AuditRow, RevisionRow
from resources.callcenter.service import SiteLive
from resources.kit.errors import FieldError

MOMENT_HINT = "must be an ISO 8601 date and time with an offset, e.g. 2026-12-24T15:00:00Z"


def moment(value: Any, field: str) -> datetime | None:
    """ISO 8601 with an offset (or Z), as UTC, between the years 2000 and 2100; None when not given."""
    if value is None or value == "":
        return None
    parsed = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value)
            parsed = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
        except (ValueError, OverflowError):
            parsed = None
    if parsed is None:
        raise FieldError(field, MOMENT_HINT).problem()
    if not 2000 <= parsed.year <= 2100:
        raise FieldError(field, "must be between the years 2000 and 2100").problem()
    return parsed


def revision_json(row: RevisionRow) -> dict[str, Any]:
    return {
        "number": row.number,
        "effective_at": row.effective_at.isoformat(),
        "document": row.document,
        "cancelled": row.cancelled,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by_name,
    }


def audit_json(row: AuditRow) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "actor": row.actor_name,
        "action": row.action,
        "kind": row.kind,
        "name": row.name,
        "revision": row.revision,
        "before": row.before,
        "after": row.after,
    }


def live_json(customer_id: str, live: SiteLive) -> dict[str, Any]:
    """A site now; `traffic` is the selection of the traffic resource's live view (offered,
    answered, time to answer of the calls it took: `/traffic/live?select=…`)."""
    return {
        "site": live.site.name,
        "open": live.open,
        "capacity": live.site.capacity,
        "live": live.live,
        "occupancy": round(live.occupancy, 4) if live.occupancy is not None else None,
        "overflowed": {
            "total": live.overflow.overflowed,
            "closed": live.overflow.closed,
            "at_capacity": live.overflow.at_capacity,
            "not_answering": live.overflow.not_answering,
        },
        "overflow_received": live.overflow.received,
        "traffic": f"site:{customer_id}/{live.site.name}",
    }
