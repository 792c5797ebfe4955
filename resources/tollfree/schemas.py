"""Input checks (JSON bodies, forms and service arguments share them) and JSON output shapes.

Every parse function raises `ValidationFailed` with `errors: [{"field", "message"}]`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from resources.kit.errors import ValidationFailed
from resources.kit.sites import SITE_NAME_HINT, SITE_NAME_RE, SITE_URI_HINT, SITE_URI_RE
from resources.tollfree.values import LABEL_KINDS, BadValue, label_name_ok, parse_value

if TYPE_CHECKING:
    from resources.tollfree.plan import Issue
    from resources.tollfree.service import (
        AuditView,
        EventView,
        LabelView,
        NumberView,
        SiteView,
        TargetView,
        TemplateView,
        VersionView,
    )

TFN_NPAS = ("800", "833", "844", "855", "866", "877", "888")
TFN_RE = re.compile(r"^\+1(800|833|844|855|866|877|888)\d{7}$")
TEMPLATE_RE = re.compile(r"^\*[A-Z0-9-]{4,15}$")
CUSTOMER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_LABEL_VALUES = 500
MAX_TEXT = 200


class Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


def fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "message": message}])


# --- identifiers --------------------------------------------------------------------------------


def parse_tfn(value: Any, *, field: str = "tfn") -> str:
    """`+18005550100` (also accepts `8005550100` / `18005550100`)."""
    if not isinstance(value, str) or not value.strip():
        raise fail(field, "Enter a toll-free number like +18005550100.")
    raw = value.strip().replace("-", "").replace(" ", "")
    digits = raw.removeprefix("+")
    if len(digits) == 10 and digits.isdigit():
        digits = "1" + digits
    tfn = "+" + digits
    if not TFN_RE.match(tfn):
        npa = digits[1:4] if len(digits) == 11 else ""
        if len(digits) == 11 and digits.isdigit() and npa not in TFN_NPAS:
            raise fail(field, f"{npa} is not a toll-free area code ({', '.join(TFN_NPAS)}).")
        raise fail(field, "Enter a toll-free number like +18005550100.")
    return tfn


def is_tfn(value: str) -> bool:
    return bool(TFN_RE.match(value))


def template_target(name: str) -> str:
    """The target of a template as written in a URL (`EASTWEST`) or in full (`*EASTWEST`)."""
    return name if name.startswith("*") else "*" + name


def parse_template_name(value: Any, *, field: str = "name") -> str:
    if not isinstance(value, str) or not TEMPLATE_RE.match(template_target(value.strip().upper())):
        raise fail(field, "A template name is 4 to 15 letters, digits or dashes, like *EASTWEST.")
    return template_target(value.strip().upper())


def is_target(value: str) -> bool:
    return bool(TFN_RE.match(value) or TEMPLATE_RE.match(value))


def parse_customer_id(value: Any, *, field: str = "customer_id") -> str:
    if not isinstance(value, str) or not CUSTOMER_RE.match(value):
        raise fail(field, "Give the customer's id (lowercase letters, digits, - or _), like globex.")
    return value


def parse_reseller_chain(value: Any, *, field: str = "reseller_chain") -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(
        isinstance(x, str) and CUSTOMER_RE.match(x) for x in value
    ):
        raise fail(field, 'Give the resellers\' ids as a list, top-most first, like ["acme"].')
    if len(set(value)) != len(value):
        raise fail(field, "A reseller appears twice in the chain.")
    return tuple(value)


def parse_text(value: Any, *, field: str, max_len: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fail(field, "Must be text.")
    text: str = value.strip()
    if len(text) > max_len:
        raise fail(field, f"At most {max_len} characters.")
    return text


def parse_site(name: Any, uri: Any) -> tuple[str, str]:
    errors = Errors()
    if not isinstance(name, str) or not SITE_NAME_RE.match(name):
        errors.add("name", SITE_NAME_HINT)
    if not isinstance(uri, str) or not (m := SITE_URI_RE.match(uri.strip())):
        errors.add("uri", SITE_URI_HINT)
    elif not 1 <= int(m.group("port")) <= 65535:
        errors.add("uri", "The port must be between 1 and 65535.")
    errors.raise_if_any()
    assert isinstance(name, str)
    assert isinstance(uri, str)
    return name, uri.strip()


def parse_label(name: Any, kind: Any, values: Any) -> tuple[str, str, tuple[str, ...]]:
    errors = Errors()
    if not isinstance(name, str) or not label_name_ok(name):
        errors.add("name", "A label name is 2 to 15 capitals, digits, _ or -, starting with a letter.")
    if kind not in LABEL_KINDS:
        errors.add("kind", f"A label holds one kind of value: {', '.join(LABEL_KINDS)}.")
    if not isinstance(values, list | tuple) or not values:
        errors.add("values", "Give at least one value.")
    elif len(values) > MAX_LABEL_VALUES:
        errors.add("values", f"At most {MAX_LABEL_VALUES} values.")
    elif isinstance(kind, str) and kind in LABEL_KINDS:
        for i, value in enumerate(values):
            if isinstance(value, str) and value.startswith("@"):
                errors.add(f"values[{i}]", "A label cannot refer to another label.")
                continue
            try:
                parse_value(kind, value)
            except BadValue as exc:
                errors.add(f"values[{i}]", str(exc))
    errors.raise_if_any()
    assert isinstance(name, str)
    assert isinstance(kind, str)
    assert isinstance(values, list | tuple)
    return name, kind, tuple(values)


def parse_effective_at(value: Any, *, field: str = "effective_at") -> datetime | None:
    """ISO 8601 with a zone (`2026-03-01T12:00:00Z`, `…+01:00`); None/"" = now."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise fail(field, "Give a date and time like 2026-03-01T12:00:00Z.") from None
    else:
        raise fail(field, "Give a date and time like 2026-03-01T12:00:00Z.")
    if moment.tzinfo is None:
        raise fail(field, "Give the time with its zone, like 2026-03-01T12:00:00Z.")
    return moment.astimezone(UTC)


def parse_int(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise fail(field, "Must be a whole number.")
    if isinstance(value, str) and not value.isdigit():
        raise fail(field, "Must be a whole number.")
    number = int(value)
    if number < 1:
        raise fail(field, "Must be 1 or more.")
    return number


def only(raw: Mapping[str, Any], allowed: Sequence[str]) -> None:
    if unknown := sorted(set(raw) - set(allowed)):
        raise ValidationFailed([{"field": k, "message": "Unknown field."} for k in unknown])


def issue_errors(issues: Sequence[Issue]) -> list[dict[str, str]]:
    """Validation issues as 422 `errors`: field `<node id>:<field>` (record level: `<field>`)."""
    return [{"field": f"{i.node}:{i.field}" if i.node else i.field, "message": i.message} for i in issues]


# --- output ------------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def issue_json(issue: Issue) -> dict[str, Any]:
    return {"node": issue.node, "field": issue.field, "message": issue.message}


def event_json(event: EventView) -> dict[str, Any]:
    return {
        "from": event.from_state,
        "to": event.to_state,
        "at": iso(event.at),
        "actor": event.actor,
        "session": event.session,
        "detail": event.detail,
    }


def version_json(view: VersionView, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": view.id,
        "target": view.target,
        "number": view.number,
        "state": view.state,
        "effective_at": iso(view.effective_at),
        "created_at": iso(view.created_at),
        "created_by": view.created_by,
        "activated_at": iso(view.activated_at),
        "superseded_at": iso(view.superseded_at),
        "rolled_back_from": view.rolled_back_from,
        "note": view.note,
        "issues": [issue_json(i) for i in view.issues],
    }
    if full:
        out["document"] = view.document
        out["snapshot"] = view.snapshot
        out["events"] = [event_json(e) for e in view.events]
    return out


def number_json(view: NumberView) -> dict[str, Any]:
    return {
        "tfn": view.tfn,
        "customer_id": view.customer_id,
        "reseller_chain": list(view.reseller_chain),
        "description": view.description,
        "active": version_json(view.active, full=False) if view.active else None,
        "pending": [version_json(v, full=False) for v in view.pending],
        "drafts": [version_json(v, full=False) for v in view.drafts],
    }


def target_json(view: TargetView) -> dict[str, Any]:
    return {
        "target": view.target,
        "kind": view.kind,
        "customer_id": view.customer_id,
        "description": view.description,
        "can_edit": view.can_edit,
        "active": version_json(view.active) if view.active else None,
        "pending": [version_json(v, full=False) for v in view.pending],
        "drafts": [version_json(v, full=False) for v in view.drafts],
        "history": [version_json(v, full=False) for v in view.history],
    }


def audit_json(view: AuditView) -> dict[str, Any]:
    return {
        "at": iso(view.at),
        "actor_id": view.actor_id,
        "actor_name": view.actor_name,
        "session": view.session,
        "customer_id": view.customer_id,
        "target": view.target,
        "version": view.version,
        "action": view.action,
        "before": view.before,
        "after": view.after,
    }


def template_json(view: TemplateView) -> dict[str, Any]:
    return {
        "name": view.name,
        "customer_id": view.customer_id,
        "description": view.description,
        "active_version": view.active_version,
        "can_edit": view.can_edit,
    }


def label_json(view: LabelView) -> dict[str, Any]:
    return {
        "customer_id": view.customer_id,
        "name": view.name,
        "kind": view.kind,
        "values": list(view.values),
    }


def site_json(view: SiteView) -> dict[str, Any]:
    return {
        "customer_id": view.customer_id,
        "name": view.name,
        "uri": view.uri,
        "description": view.description,
    }
