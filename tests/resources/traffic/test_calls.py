"""merge / close_stale / summary: every facet counted exactly once, whatever the order and the mix of
reports (events, CDR, both, duplicates)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from traffic_builders import EAST, INFO, NOSITE, T0, TFN, WEST, Calls, contribution, event, totals

from resources.traffic.calls import billable_seconds, close_stale, merge, summary
from resources.traffic.model import COUNTED_ANSWERED, COUNTED_FINAL, COUNTED_OFFERED, KIND_BIT

ANSWERED_CALL = {
    "offered": 1,
    "answered": 1,
    "talk_seconds": 60,
    "tta_ms": 6500,
    "starts": 1,
    "ends": 1,
}


def test_events_in_order_contribute_each_facet_once() -> None:
    calls = Calls()
    assert calls.feed([event("routed", 10.0, site="east", destination="site:east")]) == [
        contribution(EAST, 10, "offered", 1),
        contribution(EAST, 10, "starts", 1),
    ]
    assert calls.feed([event("answered", 16.5)]) == [
        contribution(EAST, 16, "answered", 1),
        contribution(EAST, 16, "tta_ms", 6500),
    ]
    assert calls.feed([event("ended", 76.2, sip_code=200)]) == [
        contribution(EAST, 76, "talk_seconds", 60),
        contribution(EAST, 76, "ends", 1),
    ]
    record = calls.records["c1"]
    assert (record.start, record.answer, record.end) == (T0 + 10, T0 + 16.5, T0 + 76.2)
    assert record.disposition == "answered"
    assert record.billable == 60  # 59.7 s rounded up
    assert record.duration == 66.2
    assert record.q850 == 16  # from 200
    assert record.seen == KIND_BIT["routed"] | KIND_BIT["answered"] | KIND_BIT["ended"]
    assert record.counted == COUNTED_OFFERED | COUNTED_ANSWERED | COUNTED_FINAL
    assert record.key == EAST
    assert (record.customer_id, record.resellers, record.number) == ("globex", ("acme",), TFN)


def test_duplicate_report_changes_nothing() -> None:
    first, contributed, duplicate = merge(None, event("routed", 10.0, site="east"), INFO, now=T0 + 10)
    assert (len(contributed), duplicate) == (2, False)
    again, contributed, duplicate = merge(first, event("routed", 11.0, site="west"), INFO, now=T0 + 11)
    assert again is first
    assert (contributed, duplicate) == ([], True)
    assert first.updated_at == T0 + 10
    ended, contributed, _ = merge(first, event("ended", 20.0, sip_code=487), INFO, now=T0 + 20)
    assert totals(contributed) == {"short": 1, "ends": 1}
    same, contributed, duplicate = merge(ended, event("ended", 90.0, sip_code=200), INFO, now=T0 + 90)
    assert (same is ended, contributed, duplicate) == (True, [], True)
    assert ended.disposition == "short"


def test_merge_never_mutates_its_input() -> None:
    first, _, _ = merge(None, event("routed", 10.0, site="east"), INFO, now=T0 + 10)
    before = dataclasses.replace(first)
    after, _, _ = merge(first, event("ended", 40.0, sip_code=200, answer=15.0), INFO, now=T0 + 40)
    assert after is not first
    assert first == before
    assert (after.disposition, after.counted) == (
        "answered",
        COUNTED_OFFERED | COUNTED_ANSWERED | COUNTED_FINAL,
    )


def test_events_then_cdr_do_not_double_count() -> None:
    calls = Calls()
    calls.feed(
        [
            event("routed", 10.0, site="east", destination="site:east"),
            event("answered", 16.5),
            event("ended", 76.2, sip_code=200),
        ]
    )
    added = calls.feed(
        [
            event(
                "cdr",
                76.2,
                start=10.0,
                answer=16.5,
                end=76.2,
                sip_code=200,
                account_code="A-17",
                origin_state="IL",
                origin_lata="358",
                carrier="0288",
                ani="+13125550100",
            )
        ]
    )
    assert added == []
    assert calls.duplicates == 0
    assert totals(calls.contributions) == ANSWERED_CALL
    record = calls.records["c1"]
    # the CDR filled the empty fields, but the key is the one fixed at first sight
    assert (record.account_code, record.origin_state, record.origin_lata) == ("A-17", "IL", "358")
    assert (record.carrier, record.ani) == ("0288", "+13125550100")
    assert record.key == EAST
    assert record.seen == 1 | 2 | 4 | 16


def test_cdr_only_counts_everything() -> None:
    calls = Calls()
    added = calls.feed([event("cdr", 76.2, start=10.0, answer=16.5, end=76.2, sip_code=200, site="east")])
    assert added == [
        contribution(EAST, 10, "offered", 1),
        contribution(EAST, 10, "starts", 1),
        contribution(EAST, 16, "answered", 1),
        contribution(EAST, 16, "tta_ms", 6500),
        contribution(EAST, 76, "talk_seconds", 60),
        contribution(EAST, 76, "ends", 1),
    ]
    assert calls.records["c1"].disposition == "answered"


def test_cdr_without_start_is_seized_at_its_answer() -> None:
    calls = Calls()
    added = calls.feed([event("cdr", 76.2, answer=16.5, end=76.2)])
    assert added == [
        contribution(NOSITE, 16, "offered", 1),
        contribution(NOSITE, 16, "starts", 1),
        contribution(NOSITE, 16, "answered", 1),
        contribution(NOSITE, 76, "talk_seconds", 60),
        contribution(NOSITE, 76, "ends", 1),
    ]


def test_ended_before_routed_counts_at_the_end_and_routed_only_fills() -> None:
    calls = Calls()
    assert calls.feed([event("ended", 40.0, sip_code=487)]) == [
        contribution(NOSITE, 40, "offered", 1),
        contribution(NOSITE, 40, "starts", 1),
        contribution(NOSITE, 40, "short", 1),
        contribution(NOSITE, 40, "ends", 1),
    ]
    assert calls.feed([event("routed", 10.0, site="east", version=3, path=("M", "M.0"))]) == []
    record = calls.records["c1"]
    assert (record.site, record.version, record.path) == ("east", 3, ("M", "M.0"))
    assert record.key == NOSITE  # never moves
    assert (record.start, record.end, record.disposition) == (T0 + 40, T0 + 40, "short")


def test_ended_with_start_before_routed() -> None:
    calls = Calls()
    assert calls.feed([event("ended", 40.0, start=10.0, sip_code=487, site="east")]) == [
        contribution(EAST, 10, "offered", 1),
        contribution(EAST, 10, "starts", 1),
        contribution(EAST, 40, "no_answer", 1),  # cancelled after ringing 30 s (> 24 s)
        contribution(EAST, 40, "ends", 1),
    ]
    assert calls.feed([event("routed", 10.0, site="east")]) == []
    assert totals(calls.contributions) == {"offered": 1, "no_answer": 1, "starts": 1, "ends": 1}


def test_answered_before_routed_adds_time_to_answer_when_the_seizure_arrives() -> None:
    calls = Calls()
    assert calls.feed([event("answered", 16.5)]) == [contribution(NOSITE, 16, "answered", 1)]
    assert calls.feed([event("routed", 10.0, site="east")]) == [
        contribution(NOSITE, 10, "offered", 1),
        contribution(NOSITE, 10, "starts", 1),
        contribution(NOSITE, 16, "tta_ms", 6500),
    ]
    assert calls.feed([event("ended", 76.2, sip_code=200)]) == [
        contribution(NOSITE, 76, "talk_seconds", 60),
        contribution(NOSITE, 76, "ends", 1),
    ]
    assert totals(calls.contributions) == ANSWERED_CALL
    assert calls.records["c1"].site == "east"


def test_answered_then_final_without_routed_has_zero_time_to_answer() -> None:
    calls = Calls()
    calls.feed([event("answered", 16.5), event("ended", 76.2)])
    assert totals(calls.contributions) == {
        "offered": 1,
        "answered": 1,
        "talk_seconds": 60,
        "starts": 1,
        "ends": 1,
    }
    assert calls.contributions[1] == contribution(NOSITE, 16, "offered", 1)


def test_every_order_of_routed_answered_ended_cdr_gives_the_same_totals() -> None:
    # (the ended event carries its start and answer: a final report without them arriving first
    # fixes the seizure at its answer; see the tests above and below)
    reports = [
        event("routed", 10.0, site="east"),
        event("answered", 16.5),
        event("ended", 76.2, sip_code=200, start=10.0, answer=16.5),
        event("cdr", 76.2, start=10.0, answer=16.5, end=76.2, sip_code=200),
    ]
    for order in itertools.permutations(reports):
        calls = Calls()
        calls.feed(order)
        assert totals(calls.contributions) == ANSWERED_CALL, order
        assert calls.records["c1"].disposition == "answered"


def test_ended_without_answer_before_the_answered_event_freezes_the_call() -> None:
    calls = Calls()
    calls.feed([event("routed", 10.0), event("ended", 76.2, sip_code=200), event("answered", 16.5)])
    record = calls.records["c1"]
    # 2xx without an answer time: answered at the seizure; the late answered event only marks seen
    assert (record.answer, record.billable, record.seen) == (T0 + 10, 67, 1 | 2 | 4)
    assert totals(calls.contributions) == {
        "offered": 1,
        "answered": 1,
        "talk_seconds": 67,
        "starts": 1,
        "ends": 1,
    }


def test_late_events_count_at_their_own_time() -> None:
    calls = Calls()
    added = calls.feed(
        [event("routed", 10.0, site="east"), event("failed", 15.0, sip_code=486)], now=T0 + 86_400
    )
    assert added == [
        contribution(EAST, 10, "offered", 1),
        contribution(EAST, 10, "starts", 1),
        contribution(EAST, 15, "busy", 1),
        contribution(EAST, 15, "ends", 1),
    ]
    record = calls.records["c1"]
    assert (record.received_at, record.updated_at) == (T0 + 86_400, T0 + 86_400)
    assert record.q850 == 17


def test_boundary_seconds() -> None:
    calls = Calls()
    added = calls.feed([event("routed", 299.9, site="east"), event("ended", 300.0, sip_code=487)])
    assert added == [
        contribution(EAST, 299, "offered", 1),
        contribution(EAST, 299, "starts", 1),
        contribution(EAST, 300, "short", 1),
        contribution(EAST, 300, "ends", 1),
    ]


@pytest.mark.parametrize(
    ("end", "expected"),
    [(12.0, "short"), (12.5, "abandoned"), (24.0, "abandoned"), (24.25, "no_answer")],
)
def test_ring_time_edges_through_merge(end: float, expected: str) -> None:
    calls = Calls()
    calls.feed([event("routed", 0.0), event("failed", end, sip_code=487)])
    assert calls.records["c1"].disposition == expected
    assert totals(calls.contributions) == {"offered": 1, expected: 1, "starts": 1, "ends": 1}


def test_block_and_codes_through_merge() -> None:
    calls = Calls()
    calls.feed([event("failed", 5.0, call_id="b", block="plan", reason="announcement")])
    calls.feed(
        [event("routed", 1.0, call_id="t", site="west"), event("failed", 2.0, call_id="t", sip_code=503)]
    )
    calls.feed(
        [event("routed", 1.0, call_id="r", site="west"), event("failed", 3.0, call_id="r", sip_code=404)]
    )
    assert calls.records["b"].disposition == "blocked"
    assert calls.records["t"].disposition == "all_trunks_busy"
    assert calls.records["t"].q850 == 34
    assert calls.records["r"].disposition == "blocked"
    assert totals(calls.contributions) == {
        "offered": 3,
        "all_trunks_busy": 1,
        "blocked": 2,
        "starts": 3,
        "ends": 3,
    }
    assert calls.records["t"].key == WEST


def test_2xx_final_without_answer_time_is_answered_at_the_seizure() -> None:
    calls = Calls()
    calls.feed([event("routed", 10.0), event("ended", 40.0, sip_code=200)])
    record = calls.records["c1"]
    assert (record.disposition, record.answer, record.billable) == ("answered", T0 + 10, 30)
    assert totals(calls.contributions) == {
        "offered": 1,
        "answered": 1,
        "talk_seconds": 30,
        "starts": 1,
        "ends": 1,
    }


def test_skewed_times_never_count_negative() -> None:
    calls = Calls()
    # answered reported (by another element) before the seizure time; ended before the answer
    calls.feed([event("routed", 10.0), event("answered", 9.0), event("ended", 8.0)])
    record = calls.records["c1"]
    assert (record.billable, record.duration) == (0, 0.0)
    assert totals(calls.contributions) == {"offered": 1, "answered": 1, "starts": 1, "ends": 1}


def test_key_is_fixed_at_first_sight() -> None:
    calls = Calls()
    calls.feed([event("routed", 10.0, site="east", carrier="0288"), event("ended", 20.0, site="west")])
    record = calls.records["c1"]
    assert record.key == EAST._replace(carrier="0288")
    assert record.site == "east"
    assert {c.key for c in calls.contributions} == {EAST._replace(carrier="0288")}


def test_close_stale() -> None:
    record, _, _ = merge(None, event("routed", 10.0, site="east"), INFO, now=T0 + 10)
    same, contributed = close_stale(record, now=T0 + 10 + 3599.9, max_call_seconds=3600)
    assert (same is record, contributed) == (True, [])
    closed, contributed = close_stale(record, now=T0 + 5000, max_call_seconds=3600)
    assert contributed == [contribution(EAST, 3610, "failed", 1), contribution(EAST, 3610, "ends", 1)]
    assert (closed.disposition, closed.reason, closed.end, closed.billable) == (
        "failed",
        "no end report",
        T0 + 3610,
        0,
    )
    assert (closed.duration, closed.updated_at, closed.counted & COUNTED_FINAL) == (3600.0, T0 + 5000, 4)
    assert record.disposition is None  # input untouched
    again, contributed = close_stale(closed, now=T0 + 9000, max_call_seconds=3600)
    assert (again is closed, contributed) == (True, [])
    # the real end report arriving later changes nothing (the call is frozen)
    late, contributed, duplicate = merge(closed, event("ended", 4000.0, sip_code=200), INFO, now=T0 + 9000)
    assert (contributed, duplicate, late.disposition) == ([], False, "failed")


def test_close_stale_answered_only_call_counts_offered() -> None:
    record, contributed, _ = merge(None, event("answered", 16.0), INFO, now=T0 + 16)
    assert contributed == [contribution(NOSITE, 16, "answered", 1)]
    closed, contributed = close_stale(record, now=T0 + 100, max_call_seconds=60)
    assert contributed == [
        contribution(NOSITE, 16, "offered", 1),
        contribution(NOSITE, 16, "starts", 1),
        contribution(NOSITE, 76, "failed", 1),
        contribution(NOSITE, 76, "ends", 1),
    ]
    assert closed.start == T0 + 16


def test_summary_keys_and_values() -> None:
    calls = Calls()
    calls.feed(
        [
            event("routed", 10.0, site="east", destination="site:east", version=3, ani="+13125550100"),
            event("ended", 76.2, sip_code=200, answer=16.5),
        ]
    )
    assert summary(calls.records["c1"]) == {
        "call_id": "c1",
        "number": TFN,
        "customer_id": "globex",
        "ani": "+13125550100",
        "site": "east",
        "destination": "site:east",
        "carrier": None,
        "version": 3,
        "start": T0 + 10,
        "answer": T0 + 16.5,
        "end": T0 + 76.2,
        "disposition": "answered",
        "sip_code": 200,
        "q850": 16,
        "billable": 60,
        "call_class": None,
        "account_code": None,
        "updated": T0 + 76.2,
    }
    open_call, _, _ = merge(None, event("routed", 5.0), INFO, now=T0 + 5)
    assert summary(open_call)["disposition"] is None
    assert summary(open_call)["end"] is None


@pytest.mark.parametrize(
    ("answer", "end", "expected"),
    [
        (None, 50.0, 0),
        (10.0, 10.0, 0),
        (10.0, 10.001, 1),
        (10.0, 40.0, 30),
        (10.0, 40.0004, 30),
        (10.0, 5.0, 0),
    ],
)
def test_billable_seconds(answer: float | None, end: float, expected: int) -> None:
    base = T0 if answer is not None else 0.0
    assert billable_seconds(None if answer is None else base + answer, base + end) == expected
