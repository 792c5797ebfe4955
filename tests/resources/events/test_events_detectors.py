"""The detectors (RatioDetector, ConsecutiveFailures, parse_thresholds, parse_delta) against a
fake clock (`now` passed in), and run_detectors end to end over a real InProcessBus with a
list-appending emit (the engine's entry point is the boundary)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest

from resources.events.conditions import Condition, Threshold
from resources.events.detect_runtime import (
    DELTA,
    NUMBERS,
    NUMBERS_WANTED,
    THRESHOLDS,
    THRESHOLDS_WANTED,
    Detectors,
    parse_resellers,
    run_detectors,
)
from resources.events.detectors import (
    ConsecutiveFailures,
    Customers,
    RatioDetector,
    parse_delta,
    parse_thresholds,
)
from resources.kit.events import Event, InProcessBus
from resources.traffic.model import FIELD_INDEX, Contribution, Key

T0 = 1_772_463_600  # 2026-03-02 15:00:00 UTC
G1, G2 = "+18005550100", "+18005550101"
LINE = "+13125550142"
log = logging.getLogger("tests.events.detectors")


def threshold(**kw: Any) -> Threshold:
    fields: dict[str, Any] = {
        "customer_id": "globex",
        "target": "number:*",
        "metric": "asr",
        "window_seconds": 300,
        "min_calls": 10,
        "raise_below": 0.5,
        "clear_at": 0.6,
        "severity": "major",
    }
    fields.update(kw)
    return Threshold(**fields)


def counts(
    second: int, *, number: str = G1, site: str = "", customer: str = "globex", **fields: int
) -> list[Contribution]:
    key = Key(customer, number, site, "")
    return [Contribution(key, second, FIELD_INDEX[name], amount) for name, amount in fields.items()]


def asr(
    text: str,
    *,
    active: bool = True,
    at: float,
    obj: str = f"number:{G1}",
    severity: Any = "major",
    customer: str = "globex",
    resellers: tuple[str, ...] = (),
) -> Condition:
    return Condition(
        customer_id=customer,
        resellers=resellers,
        alarmed_object=obj,
        probable_cause="lowAnswerSeizureRatio",
        alarm_type="qualityOfServiceAlarm",
        severity=severity,
        specific_problem=text,
        active=active,
        at=at,
        source="detector:asr",
    )


def ratio_detector(*thresholds: Threshold, customers: Customers | None = None) -> RatioDetector:
    detector = RatioDetector(customers=customers)
    detector.set_thresholds(thresholds or (threshold(),))
    return detector


LOW = "ASR 31 % over the last 5 min (41 of 132 calls answered; threshold 50 %)"


# --- RatioDetector ---------------------------------------------------------------------------------


def test_asr_below_threshold_raises_once_then_reasserts_every_60_s() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0 - 20, offered=132) + counts(T0 - 10, answered=41), T0)
    assert detector.evaluate(T0 + 0.5) == [asr(LOW, at=T0 + 0.5)]
    assert detector.evaluate(T0 + 1.5) == []
    assert detector.evaluate(T0 + 60.4) == []
    assert detector.evaluate(T0 + 60.5) == [asr(LOW, at=T0 + 60.5)]
    assert detector.evaluate(T0 + 61.5) == []
    assert detector.evaluate(T0 + 120.5) == [asr(LOW, at=T0 + 120.5)]


def test_hysteresis_nothing_between_raise_and_clear_then_clears() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=132, answered=41), T0)
    assert detector.evaluate(T0) == [asr(LOW, at=T0)]
    detector.feed(counts(T0 + 1, answered=29), T0 + 1)  # 70 of 132: 53 %, between 50 % and 60 %
    assert detector.evaluate(T0 + 1) == []
    detector.feed(counts(T0 + 2, answered=9), T0 + 2)  # 79 of 132: 59.8 %
    assert detector.evaluate(T0 + 2) == []
    detector.feed(counts(T0 + 3, answered=1), T0 + 3)  # 80 of 132: 60.6 %
    assert detector.evaluate(T0 + 3) == [
        asr(
            "ASR 60 % over the last 5 min (80 of 132 calls answered): back at or above 60 %",
            active=False,
            at=T0 + 3,
        )
    ]
    assert detector.evaluate(T0 + 4) == []


def test_inactive_between_raise_and_clear_raises_nothing() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=100, answered=55), T0)
    assert detector.evaluate(T0) == []


def test_in_band_while_active_reasserts_with_the_current_figures() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=132, answered=41), T0)
    assert detector.evaluate(T0) == [asr(LOW, at=T0)]
    detector.feed(counts(T0 + 1, answered=29), T0 + 1)
    assert detector.evaluate(T0 + 59) == []
    assert detector.evaluate(T0 + 60) == [
        asr("ASR 53 % over the last 5 min (70 of 132 calls answered; threshold 50 %)", at=T0 + 60)
    ]


def test_a_lower_ratio_updates_the_active_condition() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=132, answered=41), T0)
    assert detector.evaluate(T0) == [asr(LOW, at=T0)]
    detector.feed(counts(T0 + 1, offered=1), T0 + 1)  # 41 of 133: still 30.8 %, shown 30 %
    assert detector.evaluate(T0 + 1) == [
        asr("ASR 30 % over the last 5 min (41 of 133 calls answered; threshold 50 %)", at=T0 + 1)
    ]
    detector.feed(counts(T0 + 2, offered=1), T0 + 2)  # 41 of 134: 30.6 %, shown 30 %: no news
    assert detector.evaluate(T0 + 2) == []


def test_min_calls_respected() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=9), T0)
    assert detector.evaluate(T0) == []
    detector.feed(counts(T0 + 1, offered=1), T0 + 1)
    assert detector.evaluate(T0 + 1) == [
        asr("ASR 0 % over the last 5 min (0 of 10 calls answered; threshold 50 %)", at=T0 + 1)
    ]


def test_object_threshold_wins_over_the_wildcard() -> None:
    own = threshold(target=f"number:{G1}", raise_below=0.2, clear_at=0.3, window_seconds=60, severity="minor")
    detector = ratio_detector(threshold(), own)
    detector.feed(counts(T0, offered=132, answered=41) + counts(T0, number=G2, offered=132, answered=41), T0)
    assert detector.evaluate(T0) == [asr(LOW, at=T0, obj=f"number:{G2}")]
    detector.feed(counts(T0 + 1, offered=100), T0 + 1)  # G1: 41 of 232 = 17 % over its own 1 min
    assert detector.evaluate(T0 + 1) == [
        asr(
            "ASR 17 % over the last 1 min (41 of 232 calls answered; threshold 20 %)",
            at=T0 + 1,
            severity="minor",
        )
    ]


def test_site_objects_from_the_site_column() -> None:
    detector = ratio_detector(threshold(target="site:*"))
    detector.feed(
        counts(T0, site="east", offered=100, answered=20) + counts(T0, number=G2, offered=100, answered=20),
        T0,
    )
    assert detector.evaluate(T0) == [
        asr("ASR 20 % over the last 5 min (20 of 100 calls answered; threshold 50 %)", at=T0, obj="site:east")
    ]


def test_a_site_sums_every_number_routed_to_it() -> None:
    detector = ratio_detector(threshold(target="site:east"))
    detector.feed(counts(T0, site="east", offered=6) + counts(T0, number=G2, site="east", offered=6), T0)
    assert detector.evaluate(T0) == [
        asr("ASR 0 % over the last 5 min (0 of 12 calls answered; threshold 50 %)", at=T0, obj="site:east")
    ]


def test_outbound_lines_ignored() -> None:
    detector = ratio_detector()
    call = {"call_id": "o1", "number": LINE, "customer_id": "globex", "call_class": "local"}
    detector.feed(counts(T0, number=LINE, offered=100), T0, calls=[call])
    detector.feed(counts(T0 + 1, number=LINE, offered=100), T0 + 1)  # a line stays a line
    assert detector.evaluate(T0 + 1) == []


def test_window_slides_and_an_empty_window_clears() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=20, answered=20), T0)
    detector.feed(counts(T0 + 100, offered=20), T0 + 100)
    assert detector.evaluate(T0 + 100) == []  # 20 of 40: 50 %
    assert detector.evaluate(T0 + 299) == []  # T0 is still the oldest second of the window
    assert detector.evaluate(T0 + 300) == [
        asr("ASR 0 % over the last 5 min (0 of 20 calls answered; threshold 50 %)", at=T0 + 300)
    ]
    detector.feed(counts(T0 + 350, offered=3, answered=3), T0 + 350)
    better = "ASR 13 % over the last 5 min (3 of 23 calls answered; threshold 50 %)"
    assert detector.evaluate(T0 + 350) == [asr(better, at=T0 + 350)]
    assert detector.evaluate(T0 + 400) == []  # T0 + 100 has left: 3 of 3 calls, too few to clear
    assert detector.evaluate(T0 + 410) == [asr(better, at=T0 + 410)]  # re-asserted as last said
    assert detector.evaluate(T0 + 649) == [asr(better, at=T0 + 649)]
    assert detector.evaluate(T0 + 650) == [
        asr("No calls over the last 5 min: ASR unknown (traffic stopped)", active=False, at=T0 + 650)
    ]
    assert detector.evaluate(T0 + 651) == []


def test_too_few_calls_while_active_reasserts_the_last_text() -> None:
    detector = ratio_detector(threshold(window_seconds=60))
    detector.feed(counts(T0, offered=132, answered=41), T0)
    low = LOW.replace("5 min", "1 min")
    assert detector.evaluate(T0) == [asr(low, at=T0)]
    assert detector.evaluate(T0 + 59) == []
    detector.feed(counts(T0 + 60, offered=3, answered=3), T0 + 60)
    assert detector.evaluate(T0 + 60) == [asr(low, at=T0 + 60)]  # T0 has left: 3 of 3 calls, too few
    assert detector.evaluate(T0 + 61) == []


def test_late_counters_outside_the_window_ignored() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0 - 300, offered=100), T0)
    assert detector.evaluate(T0) == []


def test_ner_uses_traffic_definition() -> None:
    detector = ratio_detector(threshold(metric="ner", severity="critical"))
    detector.feed(counts(T0, offered=10, answered=2, busy=1, failed=5, all_trunks_busy=2), T0)
    assert detector.evaluate(T0) == [
        Condition(
            customer_id="globex",
            resellers=(),
            alarmed_object=f"number:{G1}",
            probable_cause="lowNetworkEffectivenessRatio",
            alarm_type="qualityOfServiceAlarm",
            severity="critical",
            specific_problem=(
                "NER 30 % over the last 5 min (3 of 10 calls answered, busy, unanswered or rejected; "
                "threshold 50 %)"
            ),
            active=True,
            at=T0,
            source="detector:ner",
        )
    ]


def test_asr_and_ner_on_one_object_with_their_own_windows() -> None:
    detector = ratio_detector(
        threshold(), threshold(metric="ner", window_seconds=60, raise_below=0.9, clear_at=0.95)
    )
    detector.feed(counts(T0 - 100, offered=10, answered=1) + counts(T0, offered=10, answered=10), T0)
    conditions = detector.evaluate(T0)
    assert [c.specific_problem for c in conditions] == []  # ASR 11 of 20 = 55 %; NER over 1 min 100 %
    detector.feed(counts(T0 + 1, offered=20, answered=0), T0 + 1)
    assert [c.specific_problem for c in detector.evaluate(T0 + 1)] == [
        "ASR 27 % over the last 5 min (11 of 40 calls answered; threshold 50 %)",
        "NER 33 % over the last 1 min (10 of 30 calls answered, busy, unanswered or rejected; "
        "threshold 90 %)",
    ]


def test_resellers_and_customers_kept_apart() -> None:
    customers = Customers({"initech": ("acme",)})
    detector = ratio_detector(threshold(), threshold(customer_id="initech"), customers=customers)
    detector.feed(counts(T0, customer="initech", offered=132, answered=41), T0)
    assert detector.evaluate(T0) == [asr(LOW, at=T0, customer="initech", resellers=("acme",))]


def test_removed_threshold_clears_and_kept_window_keeps_its_counts() -> None:
    detector = ratio_detector()
    detector.feed(counts(T0, offered=132, answered=41) + counts(T0, number=G2, offered=132, answered=41), T0)
    assert len(detector.evaluate(T0)) == 2
    detector.set_thresholds([threshold(target=f"number:{G2}", severity="critical")])
    assert detector.evaluate(T0 + 1) == [
        asr(LOW, at=T0 + 1, obj=f"number:{G2}", severity="critical"),  # the new severity, same counts
        asr("ASR is no longer watched here (its threshold was removed)", active=False, at=T0 + 1),
    ]


# --- parse_thresholds / parse_delta ------------------------------------------------------------------


def raw(**kw: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "customer_id": "globex",
        "target": "site:east",
        "metric": "ner",
        "window_seconds": 300,
        "min_calls": 10,
        "raise_below": 0.5,
        "clear_at": 0.6,
        "severity": "major",
        "updated_by": "alice",  # extra fields are ignored
    }
    item.update(kw)
    return item


def test_parse_thresholds() -> None:
    payload = {"thresholds": [raw(), raw(target="number:*", metric="asr", raise_below=0, clear_at=1)]}
    with pytest.raises(ValueError, match=re.escape("raise_below must be above 0")):
        parse_thresholds(payload)
    payload["thresholds"][1]["raise_below"] = 0.25
    assert parse_thresholds(payload) == [
        threshold(target="site:east", metric="ner"),
        threshold(target="number:*", raise_below=0.25, clear_at=1.0),
    ]
    assert parse_thresholds({"thresholds": []}) == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "the payload must be an object"),
        ({}, "thresholds must be a list"),
        ({"thresholds": [1]}, "thresholds[0] must be an object"),
        (
            {"thresholds": [{"customer_id": "globex", "target": "number:*"}]},
            "thresholds[0] lacks clear_at, metric, min_calls, raise_below, severity, window_seconds",
        ),
        ({"thresholds": [raw(customer_id="")]}, "thresholds[0].customer_id must be a non-empty string"),
        (
            {"thresholds": [raw(target="site:East")]},
            "thresholds[0].target must be number:<E.164>, site:<name>, number:* or site:*",
        ),
        (
            {"thresholds": [raw(target="number:8005550100")]},
            "thresholds[0].target must be number:<E.164>, site:<name>, number:* or site:*",
        ),
        ({"thresholds": [raw(metric="acd")]}, "thresholds[0].metric must be asr or ner"),
        (
            {"thresholds": [raw(severity="cleared")]},
            "thresholds[0].severity must be one of critical, major, minor, warning, indeterminate",
        ),
        (
            {"thresholds": [raw(window_seconds=0)]},
            "thresholds[0].window_seconds must be a whole number from 1 to 86400",
        ),
        (
            {"thresholds": [raw(min_calls=True)]},
            "thresholds[0].min_calls must be a whole number from 1 to 1000000",
        ),
        ({"thresholds": [raw(raise_below="0.5")]}, "thresholds[0].raise_below must be a number from 0 to 1"),
        ({"thresholds": [raw(clear_at=1.5)]}, "thresholds[0].clear_at must be a number from 0 to 1"),
        (
            {"thresholds": [raw(clear_at=0.5)]},
            "thresholds[0]: raise_below must be above 0 and below clear_at",
        ),
        (
            {"thresholds": [raw(), raw(window_seconds=60)]},
            "thresholds[1] repeats the ner threshold of globex on site:east",
        ),
    ],
)
def test_parse_thresholds_errors(payload: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_thresholds(payload)


def test_parse_delta() -> None:
    call = {"call_id": "a", "number": G1}
    assert parse_delta({"c": [["globex", G1, "east", "0288", T0, 0, 1]], "calls": [call]}) == (
        [Contribution(Key("globex", G1, "east", "0288"), T0, 0, 1)],
        [call],
    )
    for bad, message in [
        ("x", "the payload must be an object"),
        ({"c": {}}, "c and calls must be lists"),
        (
            {"c": [["globex", G1, "", "", T0, 13, 1]]},
            "c[0] must be [customer_id, number, site, carrier, second, field, amount]",
        ),
        ({"calls": [{"call_id": 1}]}, "calls must be CallSummary objects"),
    ]:
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            parse_delta(bad)


def test_parse_resellers() -> None:
    payload = {
        "numbers": [
            {"number": G2, "customer_id": "initech", "resellers": ["acme", "tiny"]},
            {"number": G1, "customer_id": "initech", "resellers": ["acme"]},
            {"number": LINE, "customer_id": "globex"},
        ],
        "sites": [],
    }
    assert parse_resellers(payload) == {"initech": ("acme",), "globex": ()}
    with pytest.raises(ValueError, match=re.escape("numbers[0].resellers must be a list of strings")):
        parse_resellers({"numbers": [{"number": G1, "customer_id": "globex", "resellers": "acme"}]})


# --- ConsecutiveFailures -----------------------------------------------------------------------------


def call(
    call_id: str, end: float, disposition: str | None, sip_code: int | None, **kw: Any
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "call_id": call_id,
        "number": G1,
        "customer_id": "globex",
        "site": "east",
        "start": end - 10,
        "end": end if disposition else None,
        "disposition": disposition,
        "sip_code": sip_code,
        "call_class": None,
    }
    summary.update(kw)
    return summary


def failures_condition(text: str, *, active: bool, at: float, resellers: tuple[str, ...] = ()) -> Condition:
    return Condition(
        customer_id="globex",
        resellers=resellers,
        alarmed_object="site:east",
        probable_cause="consecutiveCallFailures",
        alarm_type="communicationsAlarm",
        severity="major",
        specific_problem=text,
        active=active,
        at=at,
        source="detector:failures",
    )


def failed(
    n: int, first: int = 0, sip_code: int = 503, disposition: str = "all_trunks_busy"
) -> list[dict[str, Any]]:
    return [call(f"f{i}", T0 + i, disposition, sip_code) for i in range(first, first + n)]


def test_four_failures_then_answered_raise_nothing() -> None:
    detector = ConsecutiveFailures()
    assert detector.feed(failed(4), T0 + 10) == []
    assert detector.feed([call("a", T0 + 5, "answered", 200)], T0 + 10) == []
    assert detector.feed(failed(4, first=10), T0 + 20) == []  # the count started again


def test_five_failures_raise_and_an_answered_call_clears() -> None:
    detector = ConsecutiveFailures(customers=Customers({"globex": ("acme",)}))
    assert detector.feed(failed(3, sip_code=500, disposition="failed"), T0 + 3) == []
    # one delta, out of end order: counted in end order
    assert detector.feed([call("f4", T0 + 4, "no_answer", 408), *failed(1, first=3)], T0 + 5) == [
        failures_condition(
            "5 calls in a row failed at site east (last: 408 Request Timeout)",
            active=True,
            at=T0 + 4,
            resellers=("acme",),
        )
    ]
    assert detector.feed(failed(1, first=5), T0 + 6) == []  # still active: said already
    assert detector.feed([call("a", T0 + 7, "answered", 200)], T0 + 8) == [
        failures_condition(
            "A call was answered at site east again, after 6 failed in a row",
            active=False,
            at=T0 + 7,
            resellers=("acme",),
        )
    ]
    assert detector.feed([call("b", T0 + 8, "answered", 200)], T0 + 9) == []


def test_duplicate_call_ids_counted_once() -> None:
    detector = ConsecutiveFailures()
    assert detector.feed(failed(4), T0 + 4) == []
    assert detector.feed(failed(4), T0 + 5) == []  # the same calls again (the CDR after the end)
    assert detector.feed([call("f1", T0 + 1, None, None)], T0 + 5) == []
    assert detector.feed(failed(1, first=4), T0 + 6) == [
        failures_condition(
            "5 calls in a row failed at site east (last: 503 Service Unavailable)", active=True, at=T0 + 4
        )
    ]


def test_only_server_failures_at_sites_count() -> None:
    detector = ConsecutiveFailures(in_a_row=2)
    neutral = [
        call("busy", T0, "busy", 486),
        call("rang", T0 + 1, "no_answer", 480),
        call("gone", T0 + 2, "failed", None),
        call("rej", T0 + 3, "failed", 488),
        call("open", T0 + 4, None, None),
        call("ring-to", T0 + 5, "failed", 503, site=None),
        call("line", T0 + 6, "failed", 503, call_class="local"),
    ]
    assert detector.feed(neutral, T0 + 10) == []
    assert detector.feed(failed(1, first=20), T0 + 30) == []
    assert detector.feed([call("busy2", T0 + 30, "busy", 486)], T0 + 30) == []  # busy does not reset
    assert detector.feed([call("x", T0 + 31, "failed", 599)], T0 + 32) == [
        failures_condition("2 calls in a row failed at site east (last: SIP 599)", active=True, at=T0 + 31)
    ]


def test_an_active_run_reasserts_after_60_s() -> None:
    detector = ConsecutiveFailures(in_a_row=1)
    assert len(detector.feed(failed(1), T0)) == 1
    assert detector.feed(failed(1, first=59), T0 + 59) == []
    assert detector.feed(failed(1, first=60), T0 + 60) == [
        failures_condition(
            "3 calls in a row failed at site east (last: 503 Service Unavailable)", active=True, at=T0 + 60
        )
    ]


# --- run_detectors -----------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def until(predicate: Callable[[], bool]) -> None:
    """Let the in-process bus deliver (the follower runs on the same loop)."""
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


@asynccontextmanager
async def running(
    bus: InProcessBus, emitted: list[Condition], clock: Clock, **kw: Any
) -> AsyncIterator[Detectors]:
    async def emit(condition: Condition) -> None:
        emitted.append(condition)

    async with run_detectors(bus=bus, emit=emit, clock=clock, log=log, **kw) as detectors:
        yield detectors


async def test_runtime_end_to_end(caplog: pytest.LogCaptureFixture) -> None:
    bus = InProcessBus()
    wanted: list[Event] = []
    asks = bus.subscribe(THRESHOLDS_WANTED, NUMBERS_WANTED)
    first = asyncio.ensure_future(anext(asks))
    await asyncio.sleep(0)
    emitted: list[Condition] = []
    clock = Clock(T0 + 0.25)
    async with running(bus, emitted, clock, evaluate_every=3600) as detectors:
        wanted.append(await first)
        wanted.append(await anext(asks))
        assert wanted == [Event(THRESHOLDS_WANTED, {}), Event(NUMBERS_WANTED, {})]
        await bus.publish(
            THRESHOLDS,
            {"thresholds": [raw(target="number:*", metric="asr"), raw(target="site:*", min_calls=50)]},
        )
        await bus.publish(
            NUMBERS, {"numbers": [{"number": G1, "customer_id": "globex", "resellers": ["acme"]}]}
        )
        await bus.publish(DELTA, {"c": "nonsense"})
        rows = [["globex", G1, "east", "", T0, FIELD_INDEX["offered"], 20]]
        calls = [call(f"f{i}", T0, "failed", 503) for i in range(5)]
        await bus.publish(DELTA, {"c": rows, "calls": calls})
        await until(lambda: detectors.handled == 4)
        failures = failures_condition(
            "5 calls in a row failed at site east (last: 503 Service Unavailable)",
            active=True,
            at=T0,
            resellers=("acme",),
        )
        assert emitted == [failures]
        assert detectors.ignored == {DELTA: 1}
        assert [r.getMessage() for r in caplog.records] == [
            "events: ignored a traffic.delta payload: c and calls must be lists"
        ]
        await detectors.tick()
        low = asr(
            "ASR 0 % over the last 5 min (0 of 20 calls answered; threshold 50 %)",
            at=T0 + 0.25,
            resellers=("acme",),
        )
        assert emitted == [failures, low]  # the site has too few calls for its threshold
        clock.now = T0 + 1.25
        await bus.publish(
            DELTA, {"c": [["globex", G1, "east", "", T0 + 1, FIELD_INDEX["answered"], 12]], "calls": []}
        )
        await until(lambda: detectors.handled == 5)
        await detectors.tick()
        assert emitted[2:] == [
            replace(
                low,
                specific_problem=(
                    "ASR 60 % over the last 5 min (12 of 20 calls answered): back at or above 60 %"
                ),
                active=False,
                at=T0 + 1.25,
            )
        ]
    assert isinstance(asks, AsyncGenerator)
    await asks.aclose()


async def test_runtime_evaluates_on_its_own_and_survives_a_failing_emit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = InProcessBus()
    emitted: list[Condition] = []

    async def emit(condition: Condition) -> None:
        if condition.alarmed_object == f"number:{G1}":
            raise RuntimeError("engine down")
        emitted.append(condition)

    clock = Clock(T0)
    async with run_detectors(bus=bus, emit=emit, clock=clock, log=log, evaluate_every=0.001) as detectors:
        await bus.publish(THRESHOLDS, {"thresholds": [raw(target="number:*", metric="asr")]})
        await bus.publish(
            DELTA,
            {
                "c": [
                    ["globex", G1, "", "", T0, FIELD_INDEX["offered"], 20],
                    ["globex", G2, "", "", T0, FIELD_INDEX["offered"], 20],
                ]
            },
        )
        for _ in range(5000):
            if emitted:
                break
            await asyncio.sleep(0.001)
        assert detectors.handled == 2
    assert emitted == [
        asr("ASR 0 % over the last 5 min (0 of 20 calls answered; threshold 50 %)", at=T0, obj=f"number:{G2}")
    ]
    assert [r.getMessage() for r in caplog.records] == [
        f"events: emitting lowAnswerSeizureRatio on number:{G1} failed"
    ]
