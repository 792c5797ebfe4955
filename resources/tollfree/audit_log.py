"""The change log: every audited network change of the customers a caller administers.

Who sees what (decided here on every call, whatever the dispatcher allowed):
* a customer's people with `tollfree:view-audit`: their own customer's rows;
* reseller staff: the rows of every customer below them — from the tenancy replica (suspended
  ones included: their history stays theirs to read) and from the numbers whose reseller chain
  names them;
* provider staff: every row, including those of no customer (pool moves, origin imports).

Filters (all optional, combined with AND): customer, target (a number or `*TEMPLATE`, or a site
`site:<name>`), actor (user name), action (`version` matches `version.*`), since / until (UTC
days or instants). Newest first, `limit` rows per page, `before` = the cursor of the next page
(the id of the last row shown).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.tollfree import access
from resources.tollfree import repository as repo
from resources.tollfree.context import Tx
from resources.tollfree.manifest import VIEW_AUDIT
from resources.tollfree.schemas import parse_customer_id, parse_template_name, parse_tfn
from resources.tollfree.shapes import AuditView, audit_view
from resources.tollfree.tenancy import load_tenancy

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
PARAMS = ("customer", "target", "actor", "action", "since", "until", "before", "limit")
ACTION_RE = re.compile(r"^[a-z]+(\.[a-z-]+)?$")
ACTOR_MAX = 200


@dataclass(frozen=True, kw_only=True)
class AuditQuery:
    customer: str | None = None
    target: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    before: int | None = None
    limit: int = DEFAULT_LIMIT

    def params(self, **override: Any) -> dict[str, str]:
        """The query string that asks for this query again (with `override`), empties left out."""
        values: dict[str, Any] = {
            "customer": self.customer, "target": self.target, "actor": self.actor, "action": self.action,
            "since": _iso(self.since), "until": _iso(self.until), "before": self.before,
            "limit": None if self.limit == DEFAULT_LIMIT else self.limit,
        }  # fmt: skip
        values.update(override)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True, kw_only=True)
class AuditPage:
    items: list[AuditView]
    next_before: int | None  # the cursor of the next (older) page; None on the last one
    customers: list[str] | None = field(default=None)  # the ones the caller may filter by (None: any)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _moment(raw: str, *, name: str, end: bool) -> datetime:
    """`2026-03-01` (a whole UTC day: its start, or for `until` the next day's) or an ISO
    instant with a zone."""
    text = raw.strip()
    try:
        if len(text) == 10:
            day = datetime.combine(datetime.fromisoformat(text).date(), time(), tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(name, "Give a date like 2026-03-01 or an instant like 2026-03-01T12:00:00Z.") from None
    if moment.tzinfo is None:
        raise _fail(name, "Give the time zone too, like 2026-03-01T12:00:00Z.")
    return moment.astimezone(UTC)


def _fail(name: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": name, "message": message}])


def _target(raw: str) -> str:
    text = raw.strip()
    if text.startswith("site:"):
        name = text.removeprefix("site:")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", name):
            raise _fail("target", "A site is written site:<name>, like site:east.")
        return text
    if text.startswith("*") or text[:1].isalpha():
        return parse_template_name(text, field="target")
    return parse_tfn(text, field="target")


def parse_query(raw: Mapping[str, str]) -> AuditQuery:
    """The query of `GET /api/audit` or the page's filter form; ValidationFailed lists every bad
    parameter (an unknown one included)."""
    errors: list[dict[str, str]] = [
        {"field": k, "message": "Unknown parameter."} for k in sorted(set(raw) - set(PARAMS))
    ]
    values: dict[str, Any] = {}

    def take(name: str, parse: Any) -> None:
        text = (raw.get(name) or "").strip()
        if not text:
            return
        try:
            values[name] = parse(text)
        except ValidationFailed as exc:
            errors.extend(exc.errors)

    take("customer", lambda v: parse_customer_id(v, field="customer"))
    take("target", _target)
    take("actor", _actor)
    take("action", _action)
    take("since", lambda v: _moment(v, name="since", end=False))
    take("until", lambda v: _moment(v, name="until", end=True))
    take("before", lambda v: _whole(v, name="before", low=1, high=2**62))
    take("limit", lambda v: _whole(v, name="limit", low=1, high=MAX_LIMIT))
    if "since" in values and "until" in values and values["until"] <= values["since"]:
        errors.append({"field": "until", "message": "The end comes before the start."})
    if errors:
        raise ValidationFailed(errors)
    return AuditQuery(**values)


def _actor(text: str) -> str:
    if len(text) > ACTOR_MAX:
        raise _fail("actor", f"At most {ACTOR_MAX} characters.")
    return text


def _action(text: str) -> str:
    if not ACTION_RE.match(text):
        raise _fail("action", "An action looks like version or version.activate.")
    return text


def _whole(text: str, *, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise _fail(name, f"A whole number from {low} to {high}.")
    return int(text)


async def visible_customers(tx: Tx, caller: Caller) -> set[str] | None:
    """None: every row (provider staff); else the customers whose rows the caller reads."""
    if not caller.has(VIEW_AUDIT):
        raise access.forbidden("reading the change log needs tollfree:view-audit")
    if access.is_provider(caller):
        return None
    if caller.kind == "customer":
        return {caller.customer_id} if caller.customer_id else set()
    if caller.kind == "reseller" and caller.org_id:
        tenancy = await load_tenancy(tx.session)
        below = set(tenancy.customers_below(caller.org_id, suspended=True))
        numbers = await repo.list_numbers(tx.session)
        return below | {n.customer_id for n in numbers if caller.org_id in (n.reseller_chain or ())}
    return set()


async def search(tx: Tx, *, caller: Caller, query: AuditQuery) -> AuditPage:
    """One page of the rows the caller may read that match `query`. A customer the caller may
    not read is 404 (as if it did not exist)."""
    visible = await visible_customers(tx, caller)
    if query.customer is not None and visible is not None and query.customer not in visible:
        raise ProblemError(404, detail=f"no customer {query.customer} among yours")
    customers = {query.customer} if query.customer is not None else visible
    rows = await repo.search_audit(
        tx.session, customers=customers, target=query.target, actor=query.actor, action=query.action,
        since=query.since, until=query.until, before=query.before, limit=query.limit + 1,
    )  # fmt: skip
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return AuditPage(
        items=[audit_view(r) for r in rows],
        next_before=rows[-1].id if more and rows else None,
        customers=None if visible is None else sorted(visible),
    )


def changes(view: AuditView, *, width: int = 80) -> list[tuple[str, str, str]]:
    """(field, before, after) of every top-level field the change touched, values shortened to
    `width` characters ("" = absent)."""

    def show(value: Any) -> str:
        if value is None:
            return ""
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        return text if len(text) <= width else text[: width - 1] + "…"

    before, after = view.before or {}, view.after or {}
    keys = sorted(set(before) | set(after))
    return [(k, show(before.get(k)), show(after.get(k))) for k in keys if before.get(k) != after.get(k)]
