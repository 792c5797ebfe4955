"""The SCP's in-memory table: compiled routing plans per target, read on every call.

No DB, no await. The runtime (`runtime.py`) feeds it rows; the network endpoint (`network.py`)
asks it `route(query)`. Per target the store keeps a *timeline* — ``(effective_ts, compiled)``
entries of the ACTIVE and PENDING versions, sorted — and picks the entry in effect by the real
clock, so a scheduled version takes over at its instant even before the scheduler has written
ACTIVE to the database. The tree itself is evaluated at ``query.ts`` (a test clock on the switch
may ask "where would this call have gone at 03:00").

Updates build a new dict and then assign it (one reference swap): a reader on the hot path sees
either the old or the new table, never a half-built one. A row that fails to compile is kept out
and reported in ``status()``; whatever was in effect for that target before stays in effect.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from resources.tollfree.catalog import Catalog
from resources.tollfree.compiler import (
    Answer,
    CompiledPlan,
    CompileSettings,
    PlanInvalid,
    Query,
    compile_plan,
    reject,
)
from resources.tollfree.origin import OriginData

log = logging.getLogger("resources.tollfree")

LIVE_STATES = frozenset({"ACTIVE", "PENDING"})
UNKNOWN_NUMBER = "not a toll-free number served here"
NO_PLAN = "no routing plan in effect for this number"
ENGINE_ERROR = "the routing plan could not be evaluated"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class ScpRow:
    """One ACTIVE or PENDING version as the repository reads it (`repository.scp_rows`)."""

    target: str
    customer_id: str
    version_id: str
    number: int
    state: str
    effective_at: datetime
    document: dict[str, Any]
    snapshot: dict[str, Any]


@dataclass(frozen=True)
class RouteResult:
    target: str | None  # the number asked about when it is served here, else None
    version: int | None  # the number's version in effect (for a pointer: the pointer's version)
    version_id: str | None
    answer: Answer
    customer_id: str | None = None  # whose number it is (None when not served here)


@dataclass(frozen=True)
class _Entry:
    effective: float
    row: ScpRow
    plan: CompiledPlan


@dataclass(frozen=True)
class _Timeline:
    starts: tuple[float, ...]
    entries: tuple[_Entry, ...]

    @classmethod
    def of(cls, entries: Iterable[_Entry]) -> _Timeline:
        ordered = sorted(entries, key=lambda e: (e.effective, e.row.number))
        return cls(tuple(e.effective for e in ordered), tuple(ordered))

    def at(self, now: float) -> _Entry | None:
        i = bisect_right(self.starts, now)
        return self.entries[i - 1] if i else None


_EMPTY = _Timeline((), ())


def _epoch(moment: datetime) -> float:
    """UTC epoch seconds; a naive datetime (SQLite) is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _describe(exc: Exception) -> str:
    if isinstance(exc, PlanInvalid):
        parts = [
            f"{issue.node or 'record'} {issue.field}: {issue.message}" if issue.field else issue.message
            for issue in exc.issues
        ]
        text = "; ".join(parts) or "the plan is not valid"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class ScpStore:
    """The table the hot path reads. Single event loop: `route` is synchronous and lock-free."""

    def __init__(self, *, settings: CompileSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._clock = clock
        self.origin: OriginData = OriginData.build()
        self._timelines: dict[str, _Timeline] = {}
        self._errors: dict[str, dict[str, str]] = {}  # target -> {"v<n>": message}
        self._loaded_at: datetime | None = None

    # --- updates (runtime) ---------------------------------------------------------------------

    def set_origin(self, origin: OriginData) -> None:
        self.origin = origin

    def load(self, rows: Iterable[ScpRow]) -> None:
        """Replace everything with these rows (targets absent from `rows` disappear)."""
        grouped = _group(rows)
        timelines: dict[str, _Timeline] = {}
        errors: dict[str, dict[str, str]] = {}
        for target, target_rows in grouped.items():
            timelines[target], target_errors = self._build(target, target_rows)
            if target_errors:
                errors[target] = target_errors
        self._timelines, self._errors = timelines, errors
        self._loaded_at = self._now_dt()

    def replace(self, targets: Iterable[str], rows: Iterable[ScpRow]) -> None:
        """Atomically swap those targets for what `rows` says about them (a target of `targets`
        without rows disappears; a row of a target not named in `targets` is taken too)."""
        grouped = _group(rows)
        names = set(targets) | set(grouped)
        if not names:
            return
        timelines = dict(self._timelines)
        errors = dict(self._errors)
        for target in names:
            target_rows = grouped.get(target, [])
            errors.pop(target, None)
            if not target_rows:
                timelines.pop(target, None)
                continue
            timelines[target], target_errors = self._build(target, target_rows)
            if target_errors:
                errors[target] = target_errors
        self._timelines, self._errors = timelines, errors
        self._loaded_at = self._now_dt()

    def _build(self, target: str, rows: list[ScpRow]) -> tuple[_Timeline, dict[str, str]]:
        old = self._timelines.get(target, _EMPTY)
        cached = {e.row.version_id: e for e in old.entries}
        entries: list[_Entry] = []
        errors: dict[str, str] = {}
        for row in rows:
            if row.state not in LIVE_STATES:
                continue
            effective = _epoch(row.effective_at)
            hit = cached.get(row.version_id)
            if hit is not None and hit.row.document == row.document and hit.row.snapshot == row.snapshot:
                entries.append(_Entry(effective, row, hit.plan))
                continue
            try:
                plan = compile_plan(
                    row.document, catalog=Catalog.from_json(row.snapshot), settings=self.settings
                )
            except Exception as exc:  # a bad row never takes the store down
                errors[f"v{row.number}"] = _describe(exc)
                log.warning("SCP: %s v%s does not compile: %s", target, row.number, _describe(exc))
                continue
            entries.append(_Entry(effective, row, plan))
        timeline = _Timeline.of(entries)
        if errors:
            # a failed row must not leave the number unrouted: when none of the rows that did
            # compile is in effect now, what was in effect before stays in effect
            now = self._clock()
            current = old.at(now)
            if current is not None and timeline.at(now) is None:
                timeline = _Timeline.of([current, *entries])
        return timeline, errors

    def _now_dt(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # --- the hot path ----------------------------------------------------------------------------

    def now(self) -> float:
        """The store's clock (epoch seconds): picks versions; the default `ts` of a query."""
        return self._clock()

    def route(self, query: Query) -> RouteResult:
        """Where this call goes. Never raises, never touches the DB."""
        dnis = query.dnis
        timeline = self._timelines.get(dnis) if dnis[:1] != "*" else None
        if timeline is None:
            return RouteResult(None, None, None, reject(404, UNKNOWN_NUMBER))
        entry = timeline.at(self._clock())
        if entry is None:
            return RouteResult(dnis, None, None, reject(480, NO_PLAN))
        row = entry.row
        try:
            answer = entry.plan.evaluate(query, origin=self.origin, resolve=self.resolve)
        except Exception:
            log.exception("SCP: evaluating %s v%s failed", dnis, row.number)
            answer = reject(500, ENGINE_ERROR)
        return RouteResult(dnis, row.number, row.version_id, answer, row.customer_id)

    def resolve(self, name: str) -> CompiledPlan | None:
        """The compiled template (`*NAME`) in effect now, for pointer records."""
        timeline = self._timelines.get(name)
        if timeline is None:
            return None
        entry = timeline.at(self._clock())
        return entry.plan if entry is not None else None

    def in_effect(self, target: str) -> tuple[int, str] | None:
        """(version number, version id) in effect now for a target, or None."""
        timeline = self._timelines.get(target)
        entry = timeline.at(self._clock()) if timeline is not None else None
        return (entry.row.number, entry.row.version_id) if entry is not None else None

    # --- observability -----------------------------------------------------------------------

    def targets(self) -> list[str]:
        return sorted(self._timelines)

    def status(self) -> dict[str, Any]:
        timelines = self._timelines
        return {
            "targets": len(timelines),
            "compiled": sum(len(t.entries) for t in timelines.values()),
            "errors": {target: dict(errs) for target, errs in sorted(self._errors.items())},
            "loaded_at": self._loaded_at.isoformat() if self._loaded_at else None,
        }


def _group(rows: Iterable[ScpRow]) -> Mapping[str, list[ScpRow]]:
    grouped: dict[str, list[ScpRow]] = {}
    for row in rows:
        grouped.setdefault(row.target, []).append(row)
    return grouped
