"""`LiveState`: the last `window` (+ 60 s of slack for late reports) of per-second counters at
every `Key`, kept in memory by every traffic process from `traffic.delta`.

* Counters: second → key → FIELDS vector (sparse: only seconds and keys that saw something).
  Contributions older than the ring are ignored here (ingest persisted them in the buckets).
* Concurrency: `current[key]` = starts - ends of every contribution ever applied, including
  calls that began before the ring (and late reports older than it), so the concurrency at
  second s of a set of keys is Σ current - Σ (starts - ends) of the seconds after s.
* Touched stamps: second → `stamp_ms` of the last apply that changed its values (a start or end
  also changes the concurrency of every later second). A reconnecting viewer gets every second
  touched since its last frame's stamp - `RESUME_MARGIN_MS`: absolute values, so nothing is
  missed and applying a second twice is harmless.
* Recent calls: the newest `recent_calls` CallSummary dicts per key (by `updated`).
* Changes since the last `drain()` (for the hub's flush): seconds per key, the earliest second
  whose concurrency changed per key, the calls changed.

Views (a viewer's scope ∩ selection) are predicates over keys (`Contains`); every query sums the
keys a predicate accepts, once per view, never per viewer.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from resources.traffic.model import FIELD_INDEX, NFIELDS, Contribution, Key

CallSummary = dict[str, Any]
Contains = Callable[[Key], bool]

SLACK_SECONDS = 60  # seconds kept beyond the window for late reports
RESUME_MARGIN_MS = 2000  # a resume re-sends what was touched this long before the client's stamp
LIVE_FIELDS = 11  # FIELDS[:11] go to viewers (offered … tta_ms); starts/ends become "concurrent"
STARTS = FIELD_INDEX["starts"]
ENDS = FIELD_INDEX["ends"]


def call_key(summary: Mapping[str, Any]) -> Key:
    """The key a CallSummary is filtered by (its customer, number, site and carrier)."""
    return Key(
        str(summary.get("customer_id") or ""),
        str(summary.get("number") or ""),
        str(summary.get("site") or ""),
        str(summary.get("carrier") or ""),
    )


def _updated(summary: Mapping[str, Any]) -> float:
    value = summary.get("updated")
    return float(value) if isinstance(value, int | float) else 0.0


@dataclass(slots=True)
class Changes:
    """What changed since the previous `LiveState.drain()`."""

    stamp_ms: int = 0  # the newest stamp applied
    seconds: dict[Key, set[int]] = field(default_factory=dict)  # counters changed (inside the ring)
    concurrency_from: dict[Key, int] = field(
        default_factory=dict
    )  # earliest second whose concurrency changed
    calls: dict[str, tuple[Key, CallSummary]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.seconds or self.concurrency_from or self.calls)


class LiveState:
    def __init__(
        self, *, window: int, clock: Callable[[], float] = time.time, recent_calls: int = 50
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least one second")
        self.window = window
        self.span = window + SLACK_SECONDS
        self.clock = clock
        self.keep = recent_calls
        self.stamp_ms = 0  # stamp of the newest apply
        self.origin_ms: int | None = None  # stamp of the first apply since the last clear
        self.ignored = 0  # contributions outside the ring (counted, not kept)
        self._slots: dict[int, dict[Key, list[int]]] = {}
        self._touched: dict[int, int] = {}
        self._current: dict[Key, int] = {}
        self._calls: dict[Key, OrderedDict[str, CallSummary]] = {}
        self._call_keys: dict[str, Key] = {}
        self._pruned_at: int | None = None
        self._changes = Changes()

    # -- writing ---------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything (before a fresh backfill); viewers get the refill as changes."""
        self._slots.clear()
        self._touched.clear()
        self._current.clear()
        self._calls.clear()
        self._call_keys.clear()
        self.origin_ms = None
        self._changes = Changes()

    def now_second(self) -> int:
        return math.floor(self.clock())

    def ring_start(self, now_second: int | None = None) -> int:
        return (self.now_second() if now_second is None else now_second) - self.span + 1

    def window_start(self, now_second: int | None = None) -> int:
        return (self.now_second() if now_second is None else now_second) - self.window + 1

    def apply(
        self, contributions: Iterable[Contribution], calls: Iterable[Mapping[str, Any]], *, stamp_ms: int
    ) -> None:
        """Add counter increments and replace changed calls. `stamp_ms` is when this was applied
        (epoch ms, non-decreasing from one apply to the next); frames and resumes compare it."""
        now = self.now_second()
        self._prune(now)
        low, high = self.ring_start(now), now + SLACK_SECONDS
        if self.origin_ms is None:
            self.origin_ms = stamp_ms
        self.stamp_ms = max(self.stamp_ms, stamp_ms)
        changes = self._changes
        changes.stamp_ms = max(changes.stamp_ms, stamp_ms)
        earliest: int | None = None  # earliest second whose concurrency changed
        for key, second, index, amount in contributions:
            moves = index in (STARTS, ENDS)
            if moves:
                self._current[key] = self._current.get(key, 0) + (amount if index == STARTS else -amount)
            if not low <= second <= high:
                self.ignored += 1
                if moves:  # every second in the ring now has a different concurrency
                    self._conc_changed(key, low)
                    earliest = low if earliest is None else min(earliest, low)
                continue
            slot = self._slots.get(second)
            if slot is None:
                slot = self._slots[second] = {}
            vector = slot.get(key)
            if vector is None:
                vector = slot[key] = [0] * NFIELDS
            vector[index] += amount
            self._touched[second] = stamp_ms
            seconds = changes.seconds.get(key)
            if seconds is None:
                seconds = changes.seconds[key] = set()
            seconds.add(second)
            if moves:
                self._conc_changed(key, second)
                earliest = second if earliest is None else min(earliest, second)
        if earliest is not None:
            for second in self._slots:
                if second >= earliest:
                    self._touched[second] = stamp_ms
        for summary in calls:
            self._put_call(summary)

    def _conc_changed(self, key: Key, second: int) -> None:
        known = self._changes.concurrency_from.get(key)
        if known is None or second < known:
            self._changes.concurrency_from[key] = second

    def _put_call(self, summary: Mapping[str, Any]) -> None:
        call_id = str(summary.get("call_id") or "")
        if not call_id:
            return
        key = call_key(summary)
        previous_key = self._call_keys.get(call_id)
        if previous_key is not None:
            book = self._calls.get(previous_key)
            old = book.get(call_id) if book is not None else None
            if old is not None and _updated(old) > _updated(summary):
                return  # an older picture of the call than the one we have
            if book is not None and previous_key != key:
                book.pop(call_id, None)
        book = self._calls.get(key)
        if book is None:
            book = self._calls[key] = OrderedDict()
        book[call_id] = dict(summary)
        book.move_to_end(call_id)
        self._call_keys[call_id] = key
        while len(book) > self.keep:
            evicted, _ = book.popitem(last=False)
            self._call_keys.pop(evicted, None)
        self._changes.calls[call_id] = (key, book[call_id])

    def _prune(self, now: int) -> None:
        if self._pruned_at == now:
            return
        self._pruned_at = now
        low = self.ring_start(now)
        for second in [s for s in self._slots if s < low]:
            del self._slots[second]
        for second in [s for s in self._touched if s < low]:
            del self._touched[second]

    def drain(self) -> Changes:
        """The changes since the previous drain (the hub's flush); starts a new collection."""
        changes, self._changes = self._changes, Changes(stamp_ms=self._changes.stamp_ms)
        return changes

    # -- reading ---------------------------------------------------------------------------

    def concurrency(self, key: Key) -> int:
        """Calls of `key` in progress now."""
        return self._current.get(key, 0)

    def keys(self) -> set[Key]:
        """Every key with counters in the ring or calls in progress."""
        out = {k for k, c in self._current.items() if c}
        for slot in self._slots.values():
            out.update(slot)
        return out

    def vector(self, key: Key, second: int) -> tuple[int, ...]:
        """The FIELDS vector of one key in one second (zeros when nothing happened)."""
        found = self._slots.get(second, {}).get(key)
        return tuple(found) if found is not None else (0,) * NFIELDS

    def seconds(self) -> list[int]:
        """Seconds with counters in the ring, ascending."""
        return sorted(self._slots)

    def touched_since(self, since_ms: int) -> set[int]:
        """Seconds whose values changed at or after `since_ms` - RESUME_MARGIN_MS."""
        edge = since_ms - RESUME_MARGIN_MS
        return {s for s, stamp in self._touched.items() if stamp >= edge}

    def resumable(self, since_ms: int) -> bool:
        """Whether a viewer whose last frame had stamp `since_ms` can be brought up to date by
        the seconds touched since (else it needs the whole window): this state has been
        collecting since before that, and it is not older than the window."""
        if self.origin_ms is None:
            return False
        now_ms = math.floor(self.clock() * 1000)
        return (
            since_ms - RESUME_MARGIN_MS >= self.origin_ms
            and since_ms >= now_ms - self.window * 1000
            and since_ms <= self.stamp_ms + RESUME_MARGIN_MS
        )

    def points(
        self,
        contains: Contains,
        seconds: Iterable[int],
        *,
        low: int | None = None,
        anchors: Iterable[int] = (),
    ) -> list[list[int]]:
        """`[second, v0 … v10, concurrent]` of the view `contains` for each wanted second (≥ `low`)
        where the view has counters, plus each `anchors` second even without any; ascending."""
        wanted = {s for s in seconds if s in self._slots and (low is None or s >= low)}
        marks = set(anchors)
        wanted |= marks
        if not wanted:
            return []
        first = min(wanted)
        running = sum(c for k, c in self._current.items() if c and contains(k))
        out: list[list[int]] = []
        for second in sorted({s for s in self._slots if s >= first} | marks, reverse=True):
            slot = self._slots.get(second)
            vectors = [v for k, v in slot.items() if contains(k)] if slot is not None else []
            if second in wanted:
                if vectors:
                    total = [sum(column) for column in zip(*vectors, strict=True)]
                    out.append([second, *total[:LIVE_FIELDS], running])
                    running -= total[STARTS] - total[ENDS]
                elif second in marks:
                    out.append([second, *[0] * LIVE_FIELDS, running])
            else:
                for vector in vectors:
                    running -= vector[STARTS] - vector[ENDS]
        out.reverse()
        return out

    def window_points(self, contains: Contains) -> list[list[int]]:
        """Every second of the window where the view has counters, plus the first and the
        current second of the window (so a viewer knows the concurrency at both ends)."""
        now = self.now_second()
        low = self.window_start(now)
        return self.points(contains, self._slots, low=low, anchors=(low, now))

    def seconds_from(self, second: int) -> set[int]:
        """Seconds in the ring at or after `second` (whose concurrency a start or end there moved)."""
        return {s for s in self._slots if s >= second}

    def recent_calls(self, contains: Contains, limit: int) -> list[CallSummary]:
        """The newest `limit` calls of the view, newest first."""
        books = [book.values() for key, book in self._calls.items() if book and contains(key)]
        return heapq.nlargest(limit, (s for values in books for s in values), key=_updated)

    def peaks(self, bucket_seconds: int, buckets: Iterable[int]) -> dict[tuple[int, Key], int]:
        """Peak concurrency per (bucket start, key) over what the ring holds of those buckets
        (> 0 only): the concurrency entering the bucket and after each of its seconds."""
        starts = sorted(set(buckets), reverse=True)
        if not starts:
            return {}
        running = {k: c for k, c in self._current.items() if c}
        ordered = sorted((s for s in self._slots if s >= starts[-1]), reverse=True)
        peaks: dict[tuple[int, Key], int] = {}

        def bump(bucket: int, key: Key, value: int) -> None:
            if value > 0 and value > peaks.get((bucket, key), 0):
                peaks[(bucket, key)] = value

        i = 0
        for bucket in starts:
            while i < len(ordered) and ordered[i] >= bucket:
                second = ordered[i]
                i += 1
                inside = second < bucket + bucket_seconds
                for key, vector in self._slots[second].items():
                    value = running.get(key, 0)
                    if inside:
                        bump(bucket, key, value)
                    delta = vector[STARTS] - vector[ENDS]
                    if delta:
                        running[key] = value - delta
            for key, value in running.items():
                bump(bucket, key, value)
        return peaks

    def stats(self) -> dict[str, int]:
        return {
            "seconds": len(self._slots),
            "keys": len(self.keys()),
            "in_progress": sum(c for c in self._current.values() if c > 0),
            "calls": sum(len(b) for b in self._calls.values()),
            "ignored": self.ignored,
            "stamp_ms": self.stamp_ms,
        }
