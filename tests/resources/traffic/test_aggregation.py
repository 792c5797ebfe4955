"""A scripted morning of 20 calls, from wire records (our events, acc_json CDRs and transaction
records) through parse_body, merge, close_stale and bucket_increments, against a bucket table
written out by hand. Times are seconds after 09:00:00 UTC (T0); buckets are 5 minutes."""

from __future__ import annotations

import json
from typing import Any

from traffic_builders import T0, TFN, TFN2, Calls, lookup, totals, vector

from resources.traffic.buckets import bucket_increments
from resources.traffic.calls import close_stale
from resources.traffic.metrics import add, derived
from resources.traffic.model import NFIELDS, Key
from resources.traffic.wire import parse_body

E = Key("globex", TFN, "east", "")  # +18005550100 answered at the east site
W = Key("globex", TFN, "west", "")  # ... at the west site
B = Key("globex", TFN, "", "")  # ... blocked by the plan (no site)
C = Key("globex", TFN2, "", "0288")  # +18005550101 handed to carrier 0288


def ev(kind: str, call_id: str, at: float, **fields: Any) -> dict[str, Any]:
    """One of our own records; `at` and time fields are offsets from T0."""
    for name in ("start", "answer", "end"):
        if name in fields:
            fields[name] = T0 + fields[name]
    return {"type": kind, "callid": call_id, "ts": T0 + at, "dnis": "18005550100", **fields}


def acc_cdr(
    call_id: str, *, seized: float, start_time: float, end_time: float, **extra: Any
) -> dict[str, Any]:
    """An acc_json CDR as Kamailio writes it (all strings, times as sec.usec)."""
    return {
        "start_time": f"{T0 + start_time:.6f}",
        "end_time": f"{T0 + end_time:.6f}",
        "duration": f"{max(0.0, end_time - start_time):.6f}",
        "callid": call_id,
        "seized": f"{T0 + seized:.6f}",
        **extra,
    }


# The order the records arrive in (several requests' worth, as one list per request).
REQUESTS: list[list[dict[str, Any]]] = [
    [
        # c01 east: answered after 7.2 s, talks 82.8 s (83 billable)
        ev("routed", "c01", 5.0, dest="site:east", version=3, path="M,M.0"),
        ev("answered", "c01", 12.2),
        ev("ended", "c01", 95.0, sip_code="200"),
        # c02 east: answered at 50, ends at 350 (next bucket): 300 s exactly
        ev("routed", "c02", 40.0, dest="site:east"),
        ev("answered", "c02", 50.0),
        # c03 east: caller cancels after 8 s of ringing: short
        ev("routed", "c03", 100.0, dest="site:east"),
        ev("failed", "c03", 108.0, sip_code=487),
        # c04 east: cancels after 20 s: abandoned ("didn't wait")
        ev("routed", "c04", 120.0, dest="site:east"),
        ev("failed", "c04", 140.0, sip_code=487),
        # c05 east: 408 from the site: no answer
        ev("routed", "c05", 150.0, dest="site:east"),
        ev("failed", "c05", 180.0, sip_code=408),
        # c06 west: busy; c07 west: all trunks busy
        ev("routed", "c06", 200.0, site="west"),
        ev("failed", "c06", 201.0, sip_code=486),
        ev("routed", "c07", 210.0, site="west"),
        ev("failed", "c07", 210.5, sip_code=503),
        # c08: blocked by the plan (one failed report, no routed)
        ev("failed", "c08", 220.0, block="plan", reason="announcement"),
    ],
    [
        # c09: carrier hand-off, only an acc_json CDR: seized 230, answered 236, ended 290.4
        acc_cdr(
            "c09",
            seized=230.0,
            start_time=236.0,
            end_time=290.4,
            dnis="8005550101",
            carrier="0288",
            sip_code="200",
        ),
        # c10 east: seized 298.9 (bucket 0), answered 301.0 and ended 421.0 (bucket 300)
        ev("routed", "c10", 298.9, dest="site:east"),
        # c11 east: seized 09:04:59.9, ended 09:05:00.0 -> offered at 0, short at 300
        ev("routed", "c11", 299.9, dest="site:east"),
        ev("ended", "c11", 300.0),
        ev("answered", "c10", 301.0),
        # c12 east: events, then Kamailio's CDR for the same call: counted once
        ev("routed", "c12", 310.0, dest="site:east"),
        ev("answered", "c12", 320.0),
        ev("ended", "c12", 380.0, sip_code=200),
        acc_cdr("c12", seized=310.0, start_time=320.0, end_time=380.0, dnis="18005550100", account="A-17"),
        # c13 east: routed reported twice (a duplicate), then 480 from the site
        ev("routed", "c13", 330.0, dest="site:east"),
        ev("routed", "c13", 330.0, dest="site:east"),
        ev("failed", "c13", 335.0, sip_code=480),
        # c02 ends
        ev("ended", "c02", 350.0, sip_code=200),
    ],
    [
        # c14 west: answered event arrives before routed
        ev("answered", "c14", 352.0, site="west"),
        ev("routed", "c14", 345.0, site="west"),
        ev("ended", "c14", 400.0),
        # c15 east: ended (with its start) arrives before routed; cancelled after 20 s
        ev("ended", "c15", 420.0, start=400.0, sip_code=487, site="east"),
        ev("routed", "c15", 400.0, dest="site:east"),
        ev("ended", "c10", 421.0, sip_code=200),
        # c16: carrier hand-off failing with 500, an acc_json transaction record
        {
            "time": int(T0 + 500),
            "method": "INVITE",
            "from_tag": "f16",
            "to_tag": "",
            "callid": "c16",
            "sip_code": "500",
            "sip_reason": "Server Internal Error",
            "dnis": "+18005550101",
            "carrier": "0288",
        },
    ],
    [
        # c17 east: only routed and a final report carrying the answer
        ev("routed", "c17", 610.0, dest="site:east"),
        ev("ended", "c17", 640.0, answer=615.0, sip_code=200),
        # c18 east: routed, then nothing (closed by the sweeper an hour later)
        ev("routed", "c18", 620.0, dest="site:east"),
        # c19: carrier hand-off, user busy, acc_json CDR of a failed call
        acc_cdr(
            "c19",
            seized=700.0,
            start_time=700.0,
            end_time=705.0,
            dnis="8005550101",
            carrier="0288",
            sip_code="486",
        ),
        # c20 east: routed and answered events, then the CDR; then a late duplicate routed
        ev("routed", "c20", 900.0, dest="site:east"),
        ev("answered", "c20", 910.0),
        acc_cdr("c20", seized=900.0, start_time=910.0, end_time=1000.0, dnis="8005550100", sip_code="200"),
        ev("routed", "c20", 900.0, dest="site:east"),
    ],
]

# Hand-computed: bucket offset (seconds after 09:00) and key -> the non-zero counters.
EXPECTED: dict[tuple[int, Key], dict[str, int]] = {
    # 09:00 - c01 c02 c03 c04 c05 (offered), c10 c11 (seized at 298.9 / 299.9)
    (0, E): {
        "offered": 7,
        "starts": 7,
        "answered": 2,  # c01 at 12, c02 at 50
        "tta_ms": 7200 + 10000,
        "talk_seconds": 83,  # c01
        "short": 1,  # c03
        "abandoned": 1,  # c04
        "no_answer": 1,  # c05
        "ends": 4,  # c01 c03 c04 c05
    },
    (0, W): {"offered": 2, "starts": 2, "busy": 1, "all_trunks_busy": 1, "ends": 2},  # c06 c07
    (0, B): {"offered": 1, "starts": 1, "blocked": 1, "ends": 1},  # c08
    (0, C): {"offered": 1, "starts": 1, "answered": 1, "tta_ms": 6000, "talk_seconds": 55, "ends": 1},  # c09
    # 09:05 - ends of c02 c10 c11; c12 c13 c15 whole
    (300, E): {
        "offered": 3,  # c12 c13 c15
        "starts": 3,
        "answered": 2,  # c10 at 301, c12 at 320
        "tta_ms": 2100 + 10000,
        "talk_seconds": 300 + 120 + 60,  # c02 c10 c12
        "short": 1,  # c11
        "no_answer": 1,  # c13
        "abandoned": 1,  # c15
        "ends": 6,  # c02 c10 c11 c12 c13 c15
    },
    (300, W): {
        "offered": 1,
        "starts": 1,
        "answered": 1,
        "tta_ms": 7000,
        "talk_seconds": 48,
        "ends": 1,
    },  # c14
    (300, C): {"offered": 1, "starts": 1, "failed": 1, "ends": 1},  # c16
    # 09:10 - c17 whole, c18 seized
    (600, E): {"offered": 2, "starts": 2, "answered": 1, "tta_ms": 5000, "talk_seconds": 25, "ends": 1},
    (600, C): {"offered": 1, "starts": 1, "busy": 1, "ends": 1},  # c19
    # 09:15 - c20
    (900, E): {"offered": 1, "starts": 1, "answered": 1, "tta_ms": 10000, "talk_seconds": 90, "ends": 1},
    # 10:10 - c18 closed at 620 + 3600 = 4220 as failed
    (4200, E): {"failed": 1, "ends": 1},
}

DISPOSITIONS = {
    "c01": "answered",
    "c02": "answered",
    "c03": "short",
    "c04": "abandoned",
    "c05": "no_answer",
    "c06": "busy",
    "c07": "all_trunks_busy",
    "c08": "blocked",
    "c09": "answered",
    "c10": "answered",
    "c11": "short",
    "c12": "answered",
    "c13": "no_answer",
    "c14": "answered",
    "c15": "abandoned",
    "c16": "failed",
    "c17": "answered",
    "c18": "failed",
    "c19": "busy",
    "c20": "answered",
}


def run_day() -> Calls:
    calls = Calls()
    for request in REQUESTS:
        events, rejections = parse_body(
            json.dumps(request).encode(), element="kam1", now=T0 + 2000, numbers=lookup, max_records=100
        )
        assert rejections == []
        calls.feed(events, now=T0 + 2000)
    stale = calls.records["c18"]
    closed, contributed = close_stale(stale, now=T0 + 620 + 3600, max_call_seconds=3600)
    calls.records["c18"] = closed
    calls.contributions.extend(contributed)
    return calls


def test_the_day_in_buckets() -> None:
    calls = run_day()
    table = bucket_increments(calls.contributions, bucket_seconds=300)
    expected = {(int(T0) + offset, key): vector(counts) for (offset, key), counts in EXPECTED.items()}
    assert table == expected


def test_the_day_calls_and_idempotency() -> None:
    calls = run_day()
    assert {call_id: record.disposition for call_id, record in calls.records.items()} == DISPOSITIONS
    assert calls.duplicates == 2  # c13's second routed, c20's late routed
    assert calls.accepted == sum(len(r) for r in REQUESTS) - 2
    billable = {call_id: record.billable for call_id, record in calls.records.items() if record.billable}
    assert billable == {
        "c01": 83,
        "c02": 300,
        "c09": 55,
        "c10": 120,
        "c12": 60,
        "c14": 48,
        "c17": 25,
        "c20": 90,
    }
    assert calls.records["c12"].account_code == "A-17"  # filled by the CDR after the events
    assert calls.records["c01"].path == ("M", "M.0")
    assert calls.records["c09"].key == C
    assert calls.records["c18"].reason == "no end report"


def test_the_day_totals_and_metrics() -> None:
    calls = run_day()
    day = [0] * NFIELDS
    for counts in bucket_increments(calls.contributions, bucket_seconds=300).values():
        add(day, counts)
    assert day == vector(totals(calls.contributions))
    assert totals(calls.contributions) == {
        "offered": 20,
        "answered": 8,
        "short": 2,
        "abandoned": 2,
        "no_answer": 2,
        "busy": 2,
        "all_trunks_busy": 1,
        "blocked": 1,
        "failed": 2,
        "talk_seconds": 83 + 300 + 55 + 120 + 60 + 48 + 25 + 90,
        "tta_ms": 7200 + 10000 + 6000 + 2100 + 10000 + 7000 + 5000 + 10000,
        "starts": 20,
        "ends": 20,
    }
    # ASR 8/20; NER (8 answered + 2 busy + 2 no answer + 2 short + 2 abandoned + 1 blocked) / 20;
    # ACD 781 s / 8; TTA 57.3 s / 8
    assert derived(day) == {"asr": 0.4, "ner": 0.85, "acd": 97.625, "tta": 7.1625}
