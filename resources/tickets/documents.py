"""The TMF621 request bodies, parsed (pure): a new trouble ticket (POST), a merge patch (PATCH)
and a bulk update of the queue. Every bad field is reported at once (422, `errors[].field` in the
body's own names: `relatedEntity[0].id`); a field the body may not carry is named as such."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from resources.kit.errors import ValidationFailed
from resources.tickets.lifecycle import STATUSES
from resources.tickets.models import CHANNELS, ENTITY_ROLES, SEVERITIES, TICKET_TYPES

MAX_NAME, MAX_TEXT, MAX_REASON, MAX_ENTITIES, MAX_ID, MAX_ASSIGNEE, MAX_BULK = (
    200,
    5000,
    500,
    20,
    128,
    200,
    100,
)
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
CREATE_FIELDS = frozenset(
    {
        "name",
        "description",
        "severity",
        "ticketType",
        "channel",
        "relatedEntity",
        "relatedParty",
        "requestedResolutionDate",
        "@type",
    }
)
PATCH_FIELDS = frozenset({"status", "statusChangeReason", "note", "severity", "assignedTo"})
ABSENT: Any = object()  # a patch that leaves the assignee alone (None unassigns)


@dataclass(frozen=True, kw_only=True)
class NewTicket:
    name: str
    description: str
    severity: str
    ticket_type: str
    channel: str | None  # None: the default of where it came from (portal page, API)
    related: list[dict[str, str]]
    requested: datetime | None
    customer: str | None  # relatedParty with role customer


@dataclass(frozen=True)
class NoteIn:
    text: str
    internal: bool = False


@dataclass(frozen=True, kw_only=True)
class Patch:
    status: str | None = None
    reason: str | None = None
    notes: tuple[NoteIn, ...] = ()
    severity: str | None = None
    assigned_to: Any = ABSENT  # str | None | ABSENT

    def fields(self) -> list[str]:
        """The body's fields that change something."""
        return [
            name
            for name, given in (
                ("severity", self.severity is not None),
                ("assignedTo", self.assigned_to is not ABSENT),
                ("note", bool(self.notes)),
                ("status", self.status is not None),
            )
            if given
        ]


@dataclass
class Errors:
    found: list[dict[str, str]] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.found.append({"field": where, "message": message})

    def raise_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.found)


def _text(raw: dict[str, Any], key: str, errors: Errors, *, limit: int, required: bool) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            errors.add(key, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        errors.add(key, "must be text")
        return None
    if len(value) > limit:
        errors.add(key, f"must be at most {limit} characters")
        return None
    return value.strip()


def _choice(value: Any, where: str, choices: tuple[str, ...], errors: Errors) -> str | None:
    if value not in choices:
        errors.add(where, f"must be one of {', '.join(choices)}")
        return None
    return str(value)


def parse_time(value: Any, where: str, errors: Errors) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00")) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors.add(where, "must be a date and time with its offset, like 2026-12-14T10:00:00Z")
        return None
    return parsed.astimezone(UTC)


def _entities(value: Any, errors: Errors) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ENTITIES:
        errors.add("relatedEntity", f"must be a list of at most {MAX_ENTITIES} entities")
        return []
    out: list[dict[str, str]] = []
    for i, item in enumerate(value):
        where = f"relatedEntity[{i}]"
        if not isinstance(item, dict) or set(item) - {"role", "id", "@referredType", "name", "href"}:
            errors.add(where, 'must be {"role", "id", "@referredType"}')
            continue
        role = _choice(item.get("role"), f"{where}.role", ENTITY_ROLES, errors)
        ident, kind = item.get("id"), item.get("@referredType")
        if not isinstance(ident, str) or not 0 < len(ident) <= MAX_ID:
            errors.add(f"{where}.id", f"must be an id of 1 to {MAX_ID} characters")
            continue
        if role == "number" and not E164.fullmatch(ident):
            errors.add(f"{where}.id", "must be a number in E.164, like +18005550100")
            continue
        if not isinstance(kind, str) or not 0 < len(kind) <= 64:
            errors.add(f"{where}.@referredType", "must name the entity's type, like Alarm")
            continue
        if role is not None:
            out.append({"role": role, "id": ident, "@referredType": kind})
    return out


def _customer_party(value: Any, errors: Errors) -> str | None:
    if value is None:
        return None
    ok = isinstance(value, list) and all(isinstance(p, dict) for p in value)
    customers = [p.get("id") for p in value if p.get("role") == "customer"] if ok else []
    if not ok or len(customers) > 1 or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in customers):
        errors.add("relatedParty", 'must be a list naming at most one {"role": "customer", "id"}')
        return None
    return str(customers[0]) if customers else None


def _channel(value: Any, errors: Errors) -> str | None:
    name = value.get("name") if isinstance(value, dict) else value
    return None if value is None else _choice(name, "channel", CHANNELS, errors)


def parse_new(raw: dict[str, Any]) -> NewTicket:
    errors = Errors()
    for key in sorted(set(raw) - CREATE_FIELDS):
        errors.add(key, "is not a field of a new trouble ticket")
    name = _text(raw, "name", errors, limit=MAX_NAME, required=True)
    description = _text(raw, "description", errors, limit=MAX_TEXT, required=True)
    severity = _choice(raw.get("severity"), "severity", SEVERITIES, errors)
    ticket_type = _choice(raw.get("ticketType", "trouble"), "ticketType", TICKET_TYPES, errors)
    channel = _channel(raw.get("channel"), errors)
    related = _entities(raw.get("relatedEntity"), errors)
    requested = parse_time(raw.get("requestedResolutionDate"), "requestedResolutionDate", errors)
    customer = _customer_party(raw.get("relatedParty"), errors)
    errors.raise_any()
    assert name is not None
    assert description is not None
    assert severity is not None
    assert ticket_type is not None
    return NewTicket(
        name=name,
        description=description,
        severity=severity,
        ticket_type=ticket_type,
        channel=channel,
        related=related,
        requested=requested,
        customer=customer,
    )


def _notes(value: Any, errors: Errors) -> tuple[NoteIn, ...]:
    items = value if isinstance(value, list) else [value]
    out: list[NoteIn] = []
    for i, item in enumerate(items):
        where = f"note[{i}]" if isinstance(value, list) else "note"
        if not isinstance(item, dict) or "id" in item:
            errors.add(where, 'notes are only added: send {"text", "internal"} without an id')
            continue
        text = _text(item, "text", Errors(), limit=MAX_TEXT, required=True)
        internal = item.get("internal", False)
        if text is None:
            errors.add(f"{where}.text", f"must be text of at most {MAX_TEXT} characters")
        elif not isinstance(internal, bool):
            errors.add(f"{where}.internal", "must be true or false")
        else:
            out.append(NoteIn(text, internal))
    return tuple(out)


def _assignee(value: Any, where: str, errors: Errors) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value.strip()) <= MAX_ASSIGNEE:
        errors.add(where, "must name a staff user or be null")
        return ABSENT
    return value.strip()


def parse_patch(raw: dict[str, Any]) -> Patch:
    errors = Errors()
    for key in sorted(set(raw) - PATCH_FIELDS):
        errors.add(key, "cannot be changed (status, statusChangeReason, note, severity and assignedTo can)")
    status = _choice(raw["status"], "status", STATUSES, errors) if "status" in raw else None
    reason = _text(raw, "statusChangeReason", errors, limit=MAX_REASON, required=False)
    if reason is not None and "status" not in raw:
        errors.add("statusChangeReason", "goes with a status")
    notes = _notes(raw["note"], errors) if "note" in raw else ()
    severity = _choice(raw["severity"], "severity", SEVERITIES, errors) if "severity" in raw else None
    assigned = _assignee(raw["assignedTo"], "assignedTo", errors) if "assignedTo" in raw else ABSENT
    errors.raise_any()
    patch = Patch(status=status, reason=reason, notes=notes, severity=severity, assigned_to=assigned)
    if not patch.fields():
        raise ValidationFailed([{"field": "body", "message": "the patch changes nothing"}])
    return patch


@dataclass(frozen=True, kw_only=True)
class Bulk:
    ids: tuple[str, ...]
    patch: Patch


def parse_bulk(raw: dict[str, Any]) -> Bulk:
    errors = Errors()
    for key in sorted(set(raw) - {"ids", "assignedTo", "status", "statusChangeReason"}):
        errors.add(key, "is not a field of a bulk update (ids, assignedTo, status, statusChangeReason)")
    ids = raw.get("ids")
    if (
        not isinstance(ids, list)
        or not 0 < len(ids) <= MAX_BULK
        or not all(isinstance(i, str) and i for i in ids)
        or len(set(ids)) != len(ids)
    ):
        errors.add("ids", f"must list 1 to {MAX_BULK} different ticket ids")
        ids = []
    errors.raise_any()
    body = {k: v for k, v in raw.items() if k != "ids"}
    if not body:
        raise ValidationFailed([{"field": "body", "message": "give assignedTo, status or both"}])
    return Bulk(ids=tuple(ids), patch=parse_patch(body))
