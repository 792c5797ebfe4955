"""What the tickets API writes: a ticket in the TMF621 v4 shape (plus `assignedTo` and
`slaState`), its notes (internal ones only for staff), attachments (metadata and the download
address, never the bytes inline), its status changes and history; `fields=` selection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from resources.kit.errors import FieldError
from resources.tickets.models import AttachmentRow, HistoryRow, NoteRow, TicketRow
from resources.tickets.sla import state_of

TMF_BASE = "/api/tickets/tmf-api/troubleTicket/v4/troubleTicket"  # as the client sees it (gateway)
ATTACHMENT_BASE = "/api/tickets/troubleTicket"
FIELDS = (
    "id",
    "href",
    "@type",
    "name",
    "description",
    "severity",
    "ticketType",
    "status",
    "statusChangeReason",
    "channel",
    "relatedEntity",
    "relatedParty",
    "requestedResolutionDate",
    "expectedResolutionDate",
    "resolutionDate",
    "closedDate",
    "creationDate",
    "lastUpdate",
    "assignedTo",
    "slaState",
    "note",
    "attachment",
    "statusChange",
)
ALWAYS = ("id", "href", "@type")


def tmf_time(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at is not None else None


def etag(row: TicketRow) -> str:
    return f'"{row.version}"'


def parse_fields(raw: str | None) -> tuple[str, ...] | None:
    """`fields=status,severity` → the attributes to write (id, href and @type always); None: all."""
    if raw is None:
        return None
    wanted = [f.strip() for f in raw.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FIELDS]
    if unknown:
        raise FieldError("fields", f"unknown attributes: {', '.join(unknown)}").problem()
    return tuple(dict.fromkeys([*ALWAYS, *wanted]))


def note_json(row: NoteRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(row.id),
        "author": row.author,
        "date": tmf_time(row.at),
        "text": row.text,
        "@type": "Note",
    }
    if row.internal:
        out["internal"] = True
    return out


def attachment_json(row: AttachmentRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "mimeType": row.media_type,
        "size": {"amount": row.size, "units": "bytes"},
        "url": f"{ATTACHMENT_BASE}/{row.ticket_id}/attachment/{row.id}",
        "@type": "AttachmentRefOrValue",
    }


# left out while they have no value (TMF630: an attribute without a value is absent, not null)
OPTIONAL = ("statusChangeReason", "requestedResolutionDate", "resolutionDate", "closedDate", "assignedTo")


def status_changes(history: Iterable[HistoryRow]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for h in history:
        if h.kind == "created":
            out.append({"status": "acknowledged", "changeDate": tmf_time(h.at)})
        elif h.kind == "status" and h.after is not None:
            change = {"status": h.after["status"], "changeDate": tmf_time(h.at)}
            if h.after.get("statusChangeReason") is not None:
                change["changeReason"] = h.after["statusChangeReason"]
            out.append(change)
    return out


def history_json(row: HistoryRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": tmf_time(row.at),
        "actor": row.actor,
        "kind": row.kind,
        "before": row.before,
        "after": row.after,
    }


def ticket_json(
    row: TicketRow,
    *,
    now: datetime,
    fields: Sequence[str] | None = None,
    notes: Sequence[NoteRow] | None = None,
    attachments: Sequence[AttachmentRow] | None = None,
    history: Sequence[HistoryRow] | None = None,
) -> dict[str, Any]:
    """The ticket; notes, attachments and status changes only when given (the single GET)."""
    out: dict[str, Any] = {
        "id": row.id,
        "href": f"{TMF_BASE}/{row.id}",
        "@type": "TroubleTicket",
        "name": row.name,
        "description": row.description,
        "severity": row.severity,
        "ticketType": row.ticket_type,
        "status": row.status,
        "statusChangeReason": row.status_reason,
        "channel": {"id": row.channel, "name": row.channel},
        "relatedEntity": list(row.related),
        "relatedParty": [{"id": row.customer_id, "role": "customer", "@referredType": "Organization"}],
        "requestedResolutionDate": tmf_time(row.requested_resolution_date),
        "expectedResolutionDate": tmf_time(row.expected_resolution_date),
        "resolutionDate": tmf_time(row.resolved_at),
        "closedDate": tmf_time(row.closed_at),
        "creationDate": tmf_time(row.created_at),
        "lastUpdate": tmf_time(row.updated_at),
        "assignedTo": row.assigned_to,
        "slaState": state_of(row, now),
    }
    if notes is not None:
        out["note"] = [note_json(n) for n in notes]
    if attachments is not None:
        out["attachment"] = [attachment_json(a) for a in attachments]
    if history is not None:
        out["statusChange"] = status_changes(history)
    out = {k: v for k, v in out.items() if v is not None or k not in OPTIONAL}
    if fields is not None:
        out = {k: v for k, v in out.items() if k in fields}
    return out
