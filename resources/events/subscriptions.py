"""A customer's notification subscriptions: checking one, storing it with an audit row, removing
it (its pending deliveries fail with "subscription deleted").

* e-mail: `{"kind": "email", "address", "min_severity", "kinds"}` — any number of addresses
  (each once, at most MAX_EMAILS);
* webhook: `{"kind": "webhook", "url", "min_severity", "kinds"}` — at most one per customer;
  `url` is https (http only to 127.0.0.1 or localhost, for tests and the demo); the signing
  secret is generated (32 random bytes, urlsafe base64) and shown once, in the creation's answer.

`min_severity` critical | major | minor | warning (default major); `kinds` a non-empty list of
raised, updated, cleared, acknowledged, unacknowledged, commented (default raised, cleared).
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from resources.events import access, audit
from resources.events import outbox_repository as outbox
from resources.events.context import Tx
from resources.events.models import SubscriptionRow
from resources.events.notify import DEFAULT_KINDS, MIN_SEVERITIES, NOTIFY_KINDS
from resources.events.tmf import stamp
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed

KINDS = ("email", "webhook")
FIELDS = ("kind", "address", "url", "min_severity", "kinds")
MAX_EMAILS = 50
MAX_ADDRESS, MAX_URL = 254, 2000
LOCAL_HOSTS = ("127.0.0.1", "localhost")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDRESS_RE = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


def _address(raw: Any) -> str | None:
    if not isinstance(raw, str) or len(raw) > MAX_ADDRESS or not ADDRESS_RE.match(raw):
        return None
    local, _, domain = raw.rpartition("@")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    return f"{local}@{domain.lower()}"


def _url(raw: Any) -> str | None:
    if not isinstance(raw, str) or len(raw) > MAX_URL or any(c.isspace() or ord(c) < 33 for c in raw):
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or parts.fragment or not host:
        return None
    if port == 0:
        return None
    if parts.scheme == "https" and HOST_RE.match(host):
        return raw
    if parts.scheme == "http" and host in LOCAL_HOSTS:
        return raw
    return None


def parse_subscription(body: dict[str, Any]) -> dict[str, Any]:
    """The subscription `body` describes (kind, address or url, min_severity, kinds);
    ValidationFailed naming every bad field."""
    errors: list[dict[str, str]] = []
    errors += [
        {"field": k, "message": f"{k} is not a subscription field"} for k in sorted(body) if k not in FIELDS
    ]
    kind = body.get("kind")
    out: dict[str, Any] = {"kind": kind, "address": None, "url": None}
    if kind == "email":
        out["address"] = _address(body.get("address"))
        if out["address"] is None:
            errors.append({"field": "address", "message": "an e-mail address, like noc@example.com"})
        if body.get("url") is not None:
            errors.append({"field": "url", "message": "an e-mail subscription has no url"})
    elif kind == "webhook":
        out["url"] = _url(body.get("url"))
        if out["url"] is None:
            errors.append(
                {
                    "field": "url",
                    "message": f"an https:// address of at most {MAX_URL} characters, without a user "
                    "or password (http:// only to 127.0.0.1 or localhost)",
                }
            )
        if body.get("address") is not None:
            errors.append({"field": "address", "message": "a webhook has no e-mail address"})
    else:
        errors.append({"field": "kind", "message": "the kind is email or webhook"})
    severity = body.get("min_severity", "major")
    if severity not in MIN_SEVERITIES:
        errors.append(
            {
                "field": "min_severity",
                "message": f"the minimum severity is one of {', '.join(MIN_SEVERITIES)}",
            }
        )
    kinds = body.get("kinds", list(DEFAULT_KINDS))
    if (
        not isinstance(kinds, list)
        or not kinds
        or not all(isinstance(k, str) and k in NOTIFY_KINDS for k in kinds)
        or len(set(kinds)) != len(kinds)
    ):
        errors.append(
            {"field": "kinds", "message": f"a list of changes, each once: {', '.join(NOTIFY_KINDS)}"}
        )
        kinds = []
    if errors:
        raise ValidationFailed(errors)
    out["min_severity"] = severity
    out["kinds"] = [k for k in NOTIFY_KINDS if k in kinds]
    return out


def subscription_json(row: SubscriptionRow, *, secret: str | None = None) -> dict[str, Any]:
    """The API's view (never the secret, except `secret` on creation)."""
    out: dict[str, Any] = {"id": row.id, "customer_id": row.customer_id, "kind": row.kind}
    out["address" if row.kind == "email" else "url"] = row.address if row.kind == "email" else row.url
    out.update(
        {
            "min_severity": row.min_severity,
            "kinds": list(row.kinds),
            "state": "active" if row.disabled_at is None else "disabled",
            "disabled_reason": row.disabled_reason,
            "created_at": stamp(row.created_at),
            "created_by": row.created_by,
        }
    )
    if secret is not None:
        out["secret"] = secret
    return out


def _document(row: SubscriptionRow) -> dict[str, Any]:
    doc = subscription_json(row)
    return {k: doc[k] for k in ("kind", "address", "url", "min_severity", "kinds") if k in doc}


def _name(row: SubscriptionRow) -> str:
    return f"{row.kind} {row.address or row.url}"[:80]


async def listing(tx: Tx, *, caller: Caller, customer_id: str) -> list[SubscriptionRow]:
    access.require_view(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    return await outbox.subscriptions(tx.session, customer_id=customer_id)


async def create(
    tx: Tx, *, caller: Caller, customer_id: str, body: dict[str, Any]
) -> tuple[SubscriptionRow, str | None]:
    """(the new subscription, the webhook's secret or None)."""
    access.require_manage(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    wanted = parse_subscription(body)
    existing = await outbox.subscriptions(tx.session, customer_id=customer_id)
    if wanted["kind"] == "webhook" and any(s.kind == "webhook" for s in existing):
        raise ValidationFailed(
            [{"field": "url", "message": "the customer has a webhook already (delete it first)"}]
        )
    emails = [s for s in existing if s.kind == "email"]
    if wanted["kind"] == "email" and any(s.address == wanted["address"] for s in emails):
        raise ValidationFailed([{"field": "address", "message": "this address is subscribed already"}])
    if wanted["kind"] == "email" and len(emails) >= MAX_EMAILS:
        raise ValidationFailed([{"field": "address", "message": f"at most {MAX_EMAILS} addresses"}])
    secret = secrets.token_urlsafe(32) if wanted["kind"] == "webhook" else None
    row = SubscriptionRow(
        id=uuid.uuid4().hex,
        customer_id=customer_id,
        kind=wanted["kind"],
        address=wanted["address"],
        url=wanted["url"],
        secret=secret,
        min_severity=wanted["min_severity"],
        kinds=wanted["kinds"],
        created_at=tx.now,
        created_by=caller.username,
    )
    tx.session.add(row)
    _audit(tx, caller, customer_id, _name(row), "create", None, _document(row))
    return row, secret


async def remove(tx: Tx, *, caller: Caller, customer_id: str, subscription_id: str) -> SubscriptionRow:
    access.require_manage(caller, customer_id, tenancy=tx.ctx.tenancy.current)
    row = await tx.session.get(SubscriptionRow, subscription_id)
    if row is None or row.customer_id != customer_id:
        raise ProblemError(404, detail="no such subscription")
    await outbox.fail_pending(tx.session, subscription_id=row.id, reason="subscription deleted")
    _audit(tx, caller, customer_id, _name(row), "delete", _document(row), None)
    await tx.session.delete(row)
    return row


def _audit(
    tx: Tx,
    caller: Caller,
    customer_id: str,
    name: str,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        tx, caller, customer_id, kind="subscription", name=name, action=action, before=before, after=after
    )
