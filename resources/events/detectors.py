"""Detectors: traffic's live counters (bus `traffic.delta`) turned into Conditions. Pure: no I/O,
the clock is passed in (`now`, epoch seconds); detect_runtime.py feeds them from the bus.

* `RatioDetector`: per customer and object (`number:<E.164>`, `site:<name>`) rolling per-second
  counters over the window of each threshold that applies (a threshold on the object itself
  wins over `number:*` / `site:*`, per metric). Raises when the ratio (traffic's own ASR / NER,
  `resources.traffic.metrics.derived`) is below `raise_below` with at least `min_calls`
  offered; clears when it is back at or above `clear_at` with at least `min_calls` offered, or
  when no call at all was offered over a whole window (the ratio is unknown). In between
  nothing changes. While active it re-emits when the shown percentage (or the severity)
  changes, and re-asserts at most every `reassert_seconds` otherwise.
* `ConsecutiveFailures`: per customer and site, from the delta's CallSummaries: `in_a_row`
  ended calls in a row that failed with a server-side SIP code (≥ 500, or 408) raise; the
  next answered call clears. Other outcomes (busy, caller gave up, blocked, …) neither count
  nor reset. Each call id is counted once.

Outbound calling lines are ignored: a number is taken as a line once a CallSummary on it has a
`call_class` (a delta carries the summaries of the calls its counters come from).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from resources.events.conditions import SEVERITIES, Condition, Severity, Threshold
from resources.kit.sites import SITE_NAME_RE
from resources.traffic.metrics import derived
from resources.traffic.model import FIELD_INDEX, NFIELDS, Contribution, Key

Metric = Literal["asr", "ner"]
METRICS: tuple[Metric, ...] = ("asr", "ner")
RATIO_CAUSES: dict[Metric, str] = {"asr": "lowAnswerSeizureRatio", "ner": "lowNetworkEffectivenessRatio"}
RATIO_SOURCES: dict[Metric, str] = {"asr": "detector:asr", "ner": "detector:ner"}
FAILURES_CAUSE = "consecutiveCallFailures"
FAILURES_SOURCE = "detector:failures"
FAILURES_SEVERITY: Severity = "major"

REASSERT_SECONDS = 60.0  # an active condition is re-asserted at most this often
FAILURES_IN_A_ROW = 5
MAX_WINDOW_SECONDS = 86_400
REMEMBERED_CALLS = 100_000  # ended call ids remembered so a call is counted once

# ended with one of these dispositions and a server-side SIP code: the site failed the call
FAILURE_DISPOSITIONS = frozenset({"failed", "all_trunks_busy", "no_answer"})
SIP_PHRASES: dict[int, str] = {
    408: "Request Timeout",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    580: "Precondition Failure",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}

_OFFERED = FIELD_INDEX["offered"]
_ANSWERED = FIELD_INDEX["answered"]
_NUMBER_TARGET = re.compile(r"number:\+[1-9][0-9]{6,14}")
_THRESHOLD_FIELDS = frozenset(
    {"customer_id", "target", "metric", "window_seconds", "min_calls", "raise_below", "clear_at", "severity"}
)

CallSummary = Mapping[str, Any]


class Customers:
    """Customer id → its reseller chain (top-most first), from `tollfree.numbers`; an unknown
    customer has none."""

    def __init__(self, resellers: Mapping[str, tuple[str, ...]] | None = None) -> None:
        self._resellers: dict[str, tuple[str, ...]] = dict(resellers or {})

    def replace(self, resellers: Mapping[str, tuple[str, ...]]) -> None:
        self._resellers = dict(resellers)

    def resellers(self, customer_id: str) -> tuple[str, ...]:
        return self._resellers.get(customer_id, ())


# --- payloads ------------------------------------------------------------------------------------


def parse_delta(payload: Any) -> tuple[list[Contribution], list[dict[str, Any]]]:
    """`traffic.delta` `{"c": [[customer_id, number, site, carrier, second, field, amount], …],
    "calls": [CallSummary, …]}` as types; ValueError when the shape is wrong (the same rule as
    traffic's live_runtime.parse_delta, which lives next to I/O)."""
    if not isinstance(payload, Mapping):
        raise ValueError("the payload must be an object")
    rows, calls = payload.get("c", []), payload.get("calls", [])
    if not isinstance(rows, list) or not isinstance(calls, list):
        raise ValueError("c and calls must be lists")
    out: list[Contribution] = []
    for i, row in enumerate(rows):
        if (
            not isinstance(row, list)
            or len(row) != 7
            or not all(isinstance(x, str) for x in row[:4])
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in row[4:])
            or not 0 <= row[5] < NFIELDS
        ):
            raise ValueError(f"c[{i}] must be [customer_id, number, site, carrier, second, field, amount]")
        out.append(Contribution(Key(row[0], row[1], row[2], row[3]), row[4], row[5], row[6]))
    if not all(isinstance(c, dict) and isinstance(c.get("call_id"), str) for c in calls):
        raise ValueError("calls must be CallSummary objects")
    return out, calls


def _fraction(item: Mapping[str, Any], name: str, what: str) -> float:
    value = item[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{what}.{name} must be a number from 0 to 1")
    return float(value)


def _count(item: Mapping[str, Any], name: str, what: str, low: int, high: int) -> int:
    value = item[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what}.{name} must be a whole number from {low} to {high}")
    return value


def _threshold(item: Any, what: str) -> Threshold:
    if not isinstance(item, Mapping):
        raise ValueError(f"{what} must be an object")
    missing = sorted(_THRESHOLD_FIELDS - item.keys())
    if missing:
        raise ValueError(f"{what} lacks {', '.join(missing)}")
    customer_id, target, metric, severity = (item[k] for k in ("customer_id", "target", "metric", "severity"))
    if not isinstance(customer_id, str) or not customer_id:
        raise ValueError(f"{what}.customer_id must be a non-empty string")
    if not isinstance(target, str) or not (
        target in ("number:*", "site:*")
        or _NUMBER_TARGET.fullmatch(target)
        or (target.startswith("site:") and SITE_NAME_RE.fullmatch(target.removeprefix("site:")))
    ):
        raise ValueError(f"{what}.target must be number:<E.164>, site:<name>, number:* or site:*")
    if metric not in METRICS:
        raise ValueError(f"{what}.metric must be asr or ner")
    if severity not in SEVERITIES:
        raise ValueError(f"{what}.severity must be one of {', '.join(SEVERITIES)}")
    raise_below = _fraction(item, "raise_below", what)
    clear_at = _fraction(item, "clear_at", what)
    if not 0 < raise_below < clear_at:
        raise ValueError(f"{what}: raise_below must be above 0 and below clear_at")
    return Threshold(
        customer_id=customer_id,
        target=target,
        metric=metric,
        window_seconds=_count(item, "window_seconds", what, 1, MAX_WINDOW_SECONDS),
        min_calls=_count(item, "min_calls", what, 1, 1_000_000),
        raise_below=raise_below,
        clear_at=clear_at,
        severity=severity,
    )


def parse_thresholds(payload: Any) -> list[Threshold]:
    """`events.thresholds` `{"thresholds": [{Threshold fields}, …]}` as types; ValueError when
    the shape is wrong or one (customer, target, metric) has two thresholds."""
    if not isinstance(payload, Mapping):
        raise ValueError("the payload must be an object")
    raw = payload.get("thresholds")
    if not isinstance(raw, list):
        raise ValueError("thresholds must be a list")
    out = [_threshold(item, f"thresholds[{i}]") for i, item in enumerate(raw)]
    seen: set[tuple[str, str, str]] = set()
    for i, t in enumerate(out):
        key = (t.customer_id, t.target, t.metric)
        if key in seen:
            raise ValueError(
                f"thresholds[{i}] repeats the {t.metric} threshold of {t.customer_id} on {t.target}"
            )
        seen.add(key)
    return out


# --- texts ---------------------------------------------------------------------------------------


def _shown(ratio: float) -> int:
    """A ratio as the whole percent shown: rounded down, so a ratio below a threshold never
    reads as equal to it."""
    return math.floor(ratio * 100 + 1e-9)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}".removesuffix(".0")


def _span(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _measured(t: Threshold, ratio: float, offered: int, totals: list[int]) -> str:
    name = t.metric.upper()
    if t.metric == "asr":
        detail = f"{totals[_ANSWERED]} of {offered} calls answered"
    else:  # the numerator of traffic's NER, back from the ratio (exact: an integer over offered)
        detail = f"{round(ratio * offered)} of {offered} calls answered, busy, unanswered or rejected"
    return f"{name} {_shown(ratio)} % over the last {_span(t.window_seconds)} ({detail}"


def _sip(code: Any) -> str:
    if not isinstance(code, int):
        return "no SIP code"
    phrase = SIP_PHRASES.get(code)
    return f"{code} {phrase}" if phrase else f"SIP {code}"


# --- ratios --------------------------------------------------------------------------------------


class _Rolling:
    """Per-second counter vectors of the last `window` seconds, and their running sum."""

    __slots__ = ("heap", "slots", "totals", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self.slots: dict[int, list[int]] = {}
        self.heap: list[int] = []  # the seconds in `slots`, oldest first
        self.totals = [0] * NFIELDS

    def add(self, second: int, index: int, amount: int, now_second: int) -> None:
        if second <= now_second - self.window:
            return  # already outside the window
        slot = self.slots.get(second)
        if slot is None:
            slot = self.slots[second] = [0] * NFIELDS
            heapq.heappush(self.heap, second)
        slot[index] += amount
        self.totals[index] += amount

    def expire(self, now_second: int) -> None:
        start = now_second - self.window + 1
        while self.heap and self.heap[0] < start:
            for index, amount in enumerate(self.slots.pop(heapq.heappop(self.heap))):
                self.totals[index] -= amount


@dataclass(slots=True)
class _Raised:
    """An active ratio condition: what was last emitted, and when."""

    severity: Severity
    shown: int
    text: str
    emitted_at: float


def _objects(key: Key) -> tuple[str, ...]:
    number = f"number:{key.number}"
    return (number, f"site:{key.site}") if key.site else (number,)


class RatioDetector:
    def __init__(
        self, *, customers: Customers | None = None, reassert_seconds: float = REASSERT_SECONDS
    ) -> None:
        self.customers = customers if customers is not None else Customers()
        self.reassert_seconds = reassert_seconds
        self._thresholds: dict[tuple[str, str, str], Threshold] = {}  # (customer, target, metric)
        self._applying: dict[tuple[str, str], tuple[Threshold, ...]] = {}  # cache of `applying`
        self._series: dict[tuple[str, str], dict[int, _Rolling]] = {}  # (customer, object) → by window
        self._raised: dict[tuple[str, str, Metric], _Raised] = {}  # (customer, object, metric)
        self._lines: set[tuple[str, str]] = set()  # (customer, number) seen as an outbound line

    def set_thresholds(self, thresholds: Iterable[Threshold]) -> None:
        """Replace every threshold. Counters of a window still in use are kept; a new window
        starts empty."""
        self._thresholds = {(t.customer_id, t.target, t.metric): t for t in thresholds}
        self._applying = {}
        for object_key in list(self._series):
            windows = {t.window_seconds for t in self.applying(*object_key)}
            rollings = self._series[object_key]
            for window in list(rollings):
                if window not in windows:
                    del rollings[window]
            for window in windows - rollings.keys():
                rollings[window] = _Rolling(window)
            if not rollings:
                del self._series[object_key]

    def applying(self, customer_id: str, alarmed_object: str) -> tuple[Threshold, ...]:
        """The thresholds on `alarmed_object`, one per metric at most (the object's own first)."""
        key = (customer_id, alarmed_object)
        found = self._applying.get(key)
        if found is None:
            wildcard = alarmed_object.split(":", 1)[0] + ":*"
            picked = []
            for metric in METRICS:
                t = self._thresholds.get((customer_id, alarmed_object, metric))
                if t is None:
                    t = self._thresholds.get((customer_id, wildcard, metric))
                if t is not None:
                    picked.append(t)
            found = self._applying[key] = tuple(picked)
        return found

    def feed(
        self, contributions: Iterable[Contribution], now: float, *, calls: Iterable[CallSummary] = ()
    ) -> None:
        """Add a delta's counters; `calls` (its CallSummaries) tell outbound lines apart."""
        for call in calls:
            if call.get("call_class") is not None:
                self._lines.add((str(call.get("customer_id") or ""), str(call.get("number") or "")))
        now_second = math.floor(now)
        for key, second, index, amount in contributions:
            if (key.customer_id, key.number) in self._lines:
                continue
            for alarmed_object in _objects(key):
                rollings = self._rollings(key.customer_id, alarmed_object)
                for rolling in rollings.values():
                    rolling.add(second, index, amount, now_second)

    def _rollings(self, customer_id: str, alarmed_object: str) -> dict[int, _Rolling]:
        key = (customer_id, alarmed_object)
        rollings = self._series.get(key)
        if rollings is None:
            windows = {t.window_seconds for t in self.applying(customer_id, alarmed_object)}
            if not windows:
                return {}
            rollings = self._series[key] = {w: _Rolling(w) for w in sorted(windows)}
        return rollings

    def evaluate(self, now: float) -> list[Condition]:
        """The conditions that changed (or are due a re-assertion) at `now`."""
        now_second = math.floor(now)
        out: list[Condition] = []
        for object_key in sorted(self._series):
            rollings = self._series[object_key]
            for rolling in rollings.values():
                rolling.expire(now_second)
            for t in self.applying(*object_key):
                condition = self._judge(object_key[1], t, rollings[t.window_seconds], now)
                if condition is not None:
                    out.append(condition)
            if not any(r.slots for r in rollings.values()) and not any(
                (*object_key, t.metric) in self._raised for t in self.applying(*object_key)
            ):
                del self._series[object_key]
        for key in sorted(self._raised):
            customer_id, alarmed_object, metric = key
            if not any(t.metric == metric for t in self.applying(customer_id, alarmed_object)):
                raised = self._raised.pop(key)
                text = f"{metric.upper()} is no longer watched here (its threshold was removed)"
                out.append(
                    self._condition(customer_id, alarmed_object, metric, raised.severity, text, False, now)
                )
        return out

    def _judge(self, alarmed_object: str, t: Threshold, rolling: _Rolling, now: float) -> Condition | None:
        key = (t.customer_id, alarmed_object, t.metric)
        totals = rolling.totals
        offered = totals[_OFFERED]
        ratio = derived(totals)[t.metric]
        enough = ratio is not None and offered >= t.min_calls
        raised = self._raised.get(key)

        def condition(text: str, active: bool, severity: Severity = t.severity) -> Condition:
            return self._condition(t.customer_id, alarmed_object, t.metric, severity, text, active, now)

        if raised is None:
            if ratio is None or not enough or ratio >= t.raise_below:
                return None
            text = f"{_measured(t, ratio, offered, totals)}; threshold {_percent(t.raise_below)} %)"
            self._raised[key] = _Raised(t.severity, _shown(ratio), text, now)
            return condition(text, True)
        if ratio is None:
            del self._raised[key]
            span = _span(t.window_seconds)
            return condition(
                f"No calls over the last {span}: {t.metric.upper()} unknown (traffic stopped)",
                False,
                raised.severity,
            )
        if enough and ratio >= t.clear_at:
            del self._raised[key]
            text = f"{_measured(t, ratio, offered, totals)}): back at or above {_percent(t.clear_at)} %"
            return condition(text, False, raised.severity)
        if enough:
            text = f"{_measured(t, ratio, offered, totals)}; threshold {_percent(t.raise_below)} %)"
            changed = t.severity != raised.severity or (
                ratio < t.raise_below and _shown(ratio) != raised.shown
            )
            if not changed and now - raised.emitted_at < self.reassert_seconds:
                return None
            self._raised[key] = _Raised(t.severity, _shown(ratio), text, now)
            return condition(text, True)
        if now - raised.emitted_at < self.reassert_seconds:
            return None
        raised.emitted_at = now  # too few calls to measure: re-assert what was last said
        return condition(raised.text, True, raised.severity)

    def _condition(
        self,
        customer_id: str,
        alarmed_object: str,
        metric: Metric,
        severity: Severity,
        text: str,
        active: bool,
        now: float,
    ) -> Condition:
        return Condition(
            customer_id=customer_id,
            resellers=self.customers.resellers(customer_id),
            alarmed_object=alarmed_object,
            probable_cause=RATIO_CAUSES[metric],
            alarm_type="qualityOfServiceAlarm",
            severity=severity,
            specific_problem=text,
            active=active,
            at=now,
            source=RATIO_SOURCES[metric],
        )


# --- consecutive failures --------------------------------------------------------------------------


@dataclass(slots=True)
class _Run:
    failures: int = 0
    active: bool = False
    emitted_at: float = 0.0


def _ended_at(call: CallSummary, now: float) -> float:
    end = call.get("end")
    return float(end) if isinstance(end, int | float) and not isinstance(end, bool) else now


class ConsecutiveFailures:
    def __init__(
        self,
        *,
        customers: Customers | None = None,
        in_a_row: int = FAILURES_IN_A_ROW,
        reassert_seconds: float = REASSERT_SECONDS,
        remember: int = REMEMBERED_CALLS,
    ) -> None:
        if in_a_row < 1:
            raise ValueError("in_a_row must be at least 1")
        self.customers = customers if customers is not None else Customers()
        self.in_a_row = in_a_row
        self.reassert_seconds = reassert_seconds
        self.remember = remember
        self._runs: dict[tuple[str, str], _Run] = {}  # (customer, site)
        self._counted: OrderedDict[str, None] = OrderedDict()  # ended call ids already counted

    def feed(self, calls: Iterable[CallSummary], now: float) -> list[Condition]:
        """A delta's CallSummaries; the conditions they raise or clear (at each call's end)."""
        ended = [
            c
            for c in calls
            if c.get("disposition")
            and c.get("site")
            and c.get("call_class") is None
            and isinstance(c.get("call_id"), str)
            and c["call_id"] not in self._counted
        ]
        ended.sort(key=lambda c: (_ended_at(c, now), c["call_id"]))
        out: list[Condition] = []
        for call in ended:
            self._counted[call["call_id"]] = None
            if len(self._counted) > self.remember:
                self._counted.popitem(last=False)
            condition = self._count(call, _ended_at(call, now))
            if condition is not None:
                out.append(condition)
        return out

    def _count(self, call: CallSummary, at: float) -> Condition | None:
        key = (str(call.get("customer_id") or ""), str(call["site"]))
        disposition, code = call.get("disposition"), call.get("sip_code")
        if disposition == "answered":
            run = self._runs.pop(key, None)
            if run is None or not run.active:
                return None
            text = f"A call was answered at site {key[1]} again, after {run.failures} failed in a row"
            return self._condition(key, text, False, at)
        failed = (
            disposition in FAILURE_DISPOSITIONS
            and isinstance(code, int)
            and not isinstance(code, bool)
            and (code >= 500 or code == 408)
        )
        if not failed:
            return None  # busy, the caller gave up, blocked, …: says nothing about the site
        run = self._runs.setdefault(key, _Run())
        run.failures += 1
        if run.failures < self.in_a_row or (run.active and at - run.emitted_at < self.reassert_seconds):
            return None
        run.active, run.emitted_at = True, at
        text = f"{run.failures} calls in a row failed at site {key[1]} (last: {_sip(code)})"
        return self._condition(key, text, True, at)

    def _condition(self, key: tuple[str, str], text: str, active: bool, at: float) -> Condition:
        return Condition(
            customer_id=key[0],
            resellers=self.customers.resellers(key[0]),
            alarmed_object=f"site:{key[1]}",
            probable_cause=FAILURES_CAUSE,
            alarm_type="communicationsAlarm",
            severity=FAILURES_SEVERITY,
            specific_problem=text,
            active=active,
            at=at,
            source=FAILURES_SOURCE,
        )
