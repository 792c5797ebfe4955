"""Scoped reads for the traffic pages and API: history, call records, one call, exports.

Every function is keyword-only after the session and takes the `Caller` plus the number
directory. What a caller may see (`visibility`): the provider everything; a reseller the
customers whose reseller chain contains its organisation; a customer its own calls and, when its
`traffic:view` is scoped, only the calls of those numbers and at those sites (`site:<name>`, like
the live view). Anything else answers 404 (`NotVisible`), exactly like something that does not
exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError
from resources.traffic import calls as call_rules
from resources.traffic import metrics
from resources.traffic import repository as repo
from resources.traffic.live import LIVE_FIELDS, LiveState
from resources.traffic.model import FIELDS, NFIELDS, CallRecord, Key
from resources.traffic.repository import Filter
from resources.traffic.schemas import (
    CALL_CSV_COLUMNS,
    CallQuery,
    Period,
    call_csv_row,
    csv_text,
    cursor_of,
)
from resources.traffic.scope import Directory, Selection, ViewScope

MAX_EXPORT = 100_000  # calls in one CSV download


class NotVisible(ProblemError):
    """404: the caller may not see this (or it does not exist). `field` names the input."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(404, detail=detail)
        self.field = field


# --- who sees what (scope.py decides; here as SQL filters) --------------------------------------


def visibility(*, caller: Caller, numbers: Directory) -> Filter:
    """The rows `caller` may see (an empty filter when none): the provider every customer, a
    reseller the customers whose chain holds it, a customer itself; `traffic:view`'s scope on top:
    its numbers, or any number at its sites (ViewScope.contains). Site names are per customer:
    the customers filter keeps a customer user's `site:east` to its own east."""
    scope = ViewScope.for_caller(caller, numbers)
    if scope is None:
        return Filter(customers=frozenset())
    if scope.kind == "provider":
        return Filter(numbers=scope.numbers, sites=scope.sites)
    return Filter(customers=frozenset(scope.customers()), numbers=scope.numbers, sites=scope.sites)


def select(*, caller: Caller, numbers: Directory, value: str) -> tuple[Selection, Filter]:
    """The selection named `value` (schemas.parse_selection's canonical text) and its visible
    rows; NotVisible when the caller may not watch it or it does not exist."""
    scope = ViewScope.for_caller(caller, numbers)
    chosen = scope.selection(value) if scope is not None else None
    if scope is None or chosen is None:
        raise NotVisible(f"{value.partition(':')[2] or value} is not among what you can see", field="select")
    visible = visibility(caller=caller, numbers=numbers)
    return chosen, Filter(
        customers=frozenset({chosen.customer_id}) if chosen.customer_id else visible.customers,
        # a number the scope let through is visible everywhere; its scoped sites do not widen it
        numbers=frozenset({chosen.number}) if chosen.number else visible.numbers,
        sites=frozenset() if chosen.number else visible.sites,
        site=chosen.site,
    )


def narrow_number(visible: Filter, number: str) -> Filter:
    """Calls of one number among the visible ones (any number the caller's customers had). Only a
    number of the scope's numbers: another is NotVisible even if some of its calls were at a
    scoped site."""
    if visible.numbers is not None and number not in visible.numbers:
        raise NotVisible(f"{number} is not one of your numbers", field="number")
    return Filter(customers=visible.customers, numbers=frozenset({number}))


def can_see(visible: Filter, record: CallRecord) -> bool:
    """`visible` (repository._conditions) as a predicate over one call: its grain site is
    `record.key.site` (calls.key_site, the site the call was first routed to)."""
    site = record.key.site
    return (
        (visible.customers is None or record.customer_id in visible.customers)
        and (visible.numbers is None or record.number in visible.numbers or site in visible.site_names)
        and (visible.site is None or site == visible.site)
    )


def choices(*, caller: Caller, numbers: Directory) -> list[Selection]:
    """What the caller can choose to view (the live hello's choices): all, then customers
    (staff), numbers, sites."""
    scope = ViewScope.for_caller(caller, numbers)
    return [] if scope is None else scope.choices()


# --- history -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HistoryRow:
    start: datetime
    vector: tuple[int, ...]
    peak_concurrent: int
    derived: dict[str, float | None]

    def value(self, name: str) -> int:
        return self.vector[FIELDS.index(name)]


@dataclass(frozen=True, kw_only=True)
class History:
    selection: Selection
    period: Period
    bucket_seconds: int
    rows: list[HistoryRow]  # buckets with counts, oldest first
    totals: tuple[int, ...]
    derived: dict[str, float | None]
    peak_concurrent: int  # the highest bucket peak

    def total(self, name: str) -> int:
        return self.totals[FIELDS.index(name)]

    def series(self) -> dict[str, Any]:
        """Chart data: every bucket of the period (zero where nothing happened)."""
        by_start = {int(r.start.timestamp()): r for r in self.rows}
        first = int(self.period.start.timestamp())
        first -= first % self.bucket_seconds
        times: list[int] = []
        out: dict[str, list[int]] = {k: [] for k in ("offered", "answered", "blocked", "peak")}
        t = first
        while t < self.period.end.timestamp():
            row = by_start.get(t)
            times.append(t)
            for name in ("offered", "answered", "blocked"):
                out[name].append(row.value(name) if row else 0)
            out["peak"].append(row.peak_concurrent if row else 0)
            t += self.bucket_seconds
        return {"times": times, "bucket_seconds": self.bucket_seconds, **out}


async def history(
    session: AsyncSession,
    *,
    caller: Caller,
    numbers: Directory,
    value: str,
    period: Period,
    bucket_seconds: int,
) -> History:
    """The buckets of selection `value` in the period, summed over its grains, with derived
    metrics."""
    selection, where = select(caller=caller, numbers=numbers, value=value)
    sums = await repo.buckets(session, filter=where, start=period.start, end=period.end)
    totals = [0] * NFIELDS
    rows: list[HistoryRow] = []
    for s in sums:
        metrics.add(totals, s.vector)
        rows.append(
            HistoryRow(
                start=s.start,
                vector=s.vector,
                peak_concurrent=s.peak_concurrent,
                derived=metrics.derived(s.vector),
            )
        )
    return History(
        selection=selection,
        period=period,
        bucket_seconds=bucket_seconds,
        rows=rows,
        totals=tuple(totals),
        derived=metrics.derived(totals),
        peak_concurrent=max((r.peak_concurrent for r in rows), default=0),
    )


def history_csv(h: History) -> str:
    header = ["bucket_start", *FIELDS, "peak_concurrent", "asr", "ner", "acd", "tta"]
    rows = [
        [
            r.start.isoformat().replace("+00:00", "Z"),
            *r.vector,
            r.peak_concurrent,
            *(_metric(r.derived[k]) for k in ("asr", "ner", "acd", "tta")),
        ]
        for r in h.rows
    ]
    return csv_text(header, rows)


def _metric(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


# --- call records --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CallPage:
    items: list[CallRecord]
    next_cursor: str | None  # `before` for the next (older) page; None = this is the last
    summaries: list[dict[str, Any]] = field(default_factory=list)


def _call_filter(caller: Caller, numbers: Directory, query: CallQuery) -> Filter:
    visible = visibility(caller=caller, numbers=numbers)
    return visible if query.number is None else narrow_number(visible, query.number)


async def search_calls(
    session: AsyncSession, *, caller: Caller, numbers: Directory, query: CallQuery
) -> CallPage:
    """One page of the caller's calls matching `query`, newest seizure first."""
    where = _call_filter(caller, numbers, query)
    found = await repo.calls(
        session,
        filter=where,
        disposition=query.disposition,
        call_class=query.call_class,
        start=query.start,
        end=query.end,
        limit=query.limit + 1,
        before=query.before,
    )
    items = found[: query.limit]
    more = len(found) > query.limit
    return CallPage(
        items=items,
        next_cursor=cursor_of(items[-1]) if more and items else None,
        summaries=[call_rules.summary(r) for r in items],
    )


async def export_calls(session: AsyncSession, *, caller: Caller, numbers: Directory, query: CallQuery) -> str:
    """Every matching call (at most MAX_EXPORT, newest first) as CSV; paging is ignored."""
    where = _call_filter(caller, numbers, query)
    found = await repo.calls(
        session,
        filter=where,
        disposition=query.disposition,
        call_class=query.call_class,
        start=query.start,
        end=query.end,
        limit=MAX_EXPORT,
    )
    return csv_text(CALL_CSV_COLUMNS, (call_csv_row(r) for r in found))


async def get_call(session: AsyncSession, *, caller: Caller, numbers: Directory, call_id: str) -> CallRecord:
    record = await repo.call(session, call_id)
    if record is None or not can_see(visibility(caller=caller, numbers=numbers), record):
        raise NotVisible("no such call")
    return record


# --- live ----------------------------------------------------------------------------------------


def live_totals(*, caller: Caller, numbers: Directory, live: LiveState, value: str) -> dict[str, Any]:
    """Totals of the live window of selection `value`: FIELDS sums (offered … tta_ms), derived
    metrics, current and peak concurrency."""
    chosen, _ = select(caller=caller, numbers=numbers, value=value)
    scope = ViewScope.for_caller(caller, numbers)
    assert scope is not None  # select() raised otherwise

    def contains(key: Key) -> bool:
        return scope.contains(key) and chosen.contains(key)

    return {
        "selection": chosen.as_json(),
        "window": live.window,
        "now": live.clock(),
        "totals": window_totals(live.window_points(contains)),
    }


def window_totals(points: Sequence[Sequence[int]]) -> dict[str, Any]:
    """Totals of `[second, v0 … v10, concurrent]` points (LiveState.points): the sums of FIELDS
    offered … tta_ms, derived metrics, the newest second's and the highest concurrency."""
    totals = [0] * NFIELDS
    newest, current, peak = -1, 0, 0
    for p in points:
        metrics.add(totals, [*p[1 : 1 + LIVE_FIELDS], *([0] * (NFIELDS - LIVE_FIELDS))])
        concurrent = int(p[1 + LIVE_FIELDS])
        peak = max(peak, concurrent)
        if p[0] > newest:
            newest, current = int(p[0]), concurrent
    return {
        **{name: totals[i] for i, name in enumerate(FIELDS[:LIVE_FIELDS])},
        **metrics.derived(totals),
        "concurrent": current,
        "peak_concurrent": peak,
    }


def selection_json(selection: Selection) -> dict[str, str]:
    return selection.as_json()
