"""The simulated switch's call flow: capacity, route-advance in order, no-answer, abandon, plan
rejects, SCP down — exact records, in simulated time."""

from __future__ import annotations

from typing import Any

import pytest

from resources.traffic.simulator.centers import Centers
from resources.traffic.simulator.model import Attempt, Behaviour, CallSpec, Destination, ScpAnswer
from resources.traffic.simulator.switch import Switch

EAST = Destination("site:east", "sip:127.0.0.1:5071", None, 20)
WEST = Destination("site:west", "sip:127.0.0.1:5072", None, 20)
NORTH = Destination("site:north", "sip:127.0.0.1:5074", None, 20)
PSTN = Destination("+13125550199", "sip:+13125550199@pstn.example", "0288", 30)
PICKS_UP = Attempt(picks_up=True, delay=5.0)
SILENT = Attempt(picks_up=False, delay=5.0)
PATH = ("M", "M.b0")


def spec(
    call_id: str,
    seized: float = 1000.0,
    *,
    attempts: tuple[Attempt, ...] = (PICKS_UP, PICKS_UP, PICKS_UP),
    patience: float | None = None,
    holding: float = 60.0,
) -> CallSpec:
    return CallSpec(
        call_id=call_id,
        number="+18005550100",
        ani="+13125550100",
        state="IL",
        seized=seized,
        patience=patience,
        holding=holding,
        attempts=attempts,
    )


def route(*destinations: Destination) -> ScpAnswer:
    return ScpAnswer(outcome="route", destinations=destinations, code=None, reason=None, version=3, path=PATH)


def switch(capacity: int | None = 2, **capacities: int) -> Switch:
    return Switch(centers=Centers(default_capacity=capacity, capacities=capacities), behaviour=Behaviour())


def base(kind: str, call_id: str, ts: float, dest: Destination | None = EAST) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": kind,
        "callid": call_id,
        "ts": ts,
        "dnis": "+18005550100",
        "ani": "+13125550100",
    }
    if dest is not None:
        record["dest"] = dest.dest
        if dest.site:
            record["site"] = dest.site
        record["uri"] = dest.uri
        if dest.carrier:
            record["carrier"] = dest.carrier
    return record | {"version": 3, "path": list(PATH)}


def final(
    kind: str,
    call_id: str,
    *,
    start: float,
    end: float,
    code: int,
    dest: Destination | None = EAST,
    answer: float | None = None,
    reason: str | None = None,
    **extra: Any,
) -> list[dict[str, Any]]:
    times: dict[str, Any] = {"start": start}
    if answer is not None:
        times["answer"] = answer
    times |= {"end": end, "sip_code": code}
    if reason is not None:
        times["reason"] = reason
    times |= extra
    return [
        base(kind, call_id, end, dest) | times,
        base("cdr", call_id, end, dest) | times | {"state": "IL"},
    ]


def test_third_overlapping_call_gets_all_trunks_busy() -> None:
    sw = switch(capacity=2)
    one = sw.offer(spec("c1", 1000.0), route(EAST), now=1000.0)
    two = sw.offer(spec("c2", 1000.1), route(EAST), now=1000.1)
    three = sw.offer(spec("c3", 1000.2), route(EAST), now=1000.2)
    assert one == [base("routed", "c1", 1000.0)]
    assert two == [base("routed", "c2", 1000.1)]
    assert three == [
        base("routed", "c3", 1000.2),
        *final("failed", "c3", start=1000.2, end=1000.2, code=503, reason="All trunks busy"),
    ]
    assert sw.centers.snapshot() == {"east": {"capacity": 2, "busy": 2, "peak": 2, "refused": 1}}
    # both answer at +5 s and talk 60 s; then a trunk is free again
    assert sw.advance(1065.1) == [
        base("answered", "c1", 1005.0),
        base("answered", "c2", 1005.1),
        *final("ended", "c1", start=1000.0, answer=1005.0, end=1065.0, code=200),
        *final("ended", "c2", start=1000.1, answer=1005.1, end=1065.1, code=200),
    ]
    assert sw.offer(spec("c4", 1066.0), route(EAST), now=1066.0) == [base("routed", "c4", 1066.0)]
    assert sw.outcomes == {503: 1, 200: 2}
    assert sw.open_calls == 1


def test_busy_site_advances_to_the_next_destination_in_the_same_call() -> None:
    sw = switch(capacity=None, east=1)
    sw.offer(spec("hold", 999.0), route(EAST), now=999.0)  # takes east's only trunk
    records = sw.offer(spec("c1"), route(EAST, WEST), now=1000.0)
    records += sw.advance(2000.0)
    assert records == [
        base("routed", "c1", 1000.0, EAST),
        base("answered", "hold", 1004.0, EAST),
        base("answered", "c1", 1005.0, WEST),
        *final("ended", "hold", start=999.0, answer=1004.0, end=1064.0, code=200),
        *final("ended", "c1", start=1000.0, answer=1005.0, end=1065.0, code=200, dest=WEST),
    ]
    assert sw.centers.snapshot()["east"] == {"capacity": 1, "busy": 0, "peak": 1, "refused": 1}
    assert sw.centers.snapshot()["west"] == {"capacity": None, "busy": 0, "peak": 1, "refused": 0}


def test_destinations_are_tried_in_order_busy_then_no_answer_then_answer() -> None:
    sw = switch(capacity=None, east=0)
    records = sw.offer(
        spec("c1", attempts=(PICKS_UP, SILENT, PICKS_UP)), route(EAST, WEST, NORTH), now=1000.0
    )
    assert records == [base("routed", "c1", 1000.0, EAST)]
    # east: all trunks busy at once; west rings 20 s unanswered (timeout); north picks up 5 s later
    assert sw.advance(1024.9) == []
    assert sw.centers.snapshot()["west"]["busy"] == 0
    assert sw.centers.snapshot()["north"]["busy"] == 1
    assert sw.advance(1025.0) == [base("answered", "c1", 1025.0, NORTH)]
    assert sw.advance(1085.0) == final(
        "ended", "c1", start=1000.0, answer=1025.0, end=1085.0, code=200, dest=NORTH
    )


def test_every_destination_failing_reports_the_last_code_at_the_last_site() -> None:
    sw = switch(capacity=None, east=0)
    sw.offer(spec("c1", attempts=(PICKS_UP, SILENT)), route(EAST, WEST), now=1000.0)
    assert sw.advance(1100.0) == final(
        "failed", "c1", start=1000.0, end=1020.0, code=408, reason="Request Timeout", dest=WEST
    )
    assert sw.centers.snapshot()["west"]["busy"] == 0


def test_a_number_destination_can_be_busy_and_a_late_pick_up_is_a_no_answer() -> None:
    sw = switch()
    busy_then_slow = (Attempt(picks_up=True, delay=1.0, busy=True), Attempt(picks_up=True, delay=25.0))
    sw.offer(spec("c1", attempts=busy_then_slow), route(PSTN, EAST), now=1000.0)
    assert sw.advance(1100.0) == final(
        "failed", "c1", start=1000.0, end=1020.0, code=408, reason="Request Timeout"
    )


def test_caller_gives_up_while_it_rings() -> None:
    sw = switch()
    records = sw.offer(spec("c1", patience=15.0, attempts=(SILENT, PICKS_UP)), route(EAST, WEST), now=1000.0)
    records += sw.advance(1100.0)
    assert records == [
        base("routed", "c1", 1000.0),
        *final("failed", "c1", start=1000.0, end=1015.0, code=487, reason="Request Terminated"),
    ]
    assert sw.centers.snapshot()["east"]["busy"] == 0


@pytest.mark.parametrize(
    ("answer", "code", "reason"),
    [
        (ScpAnswer("reject", (), 403, "blocked by the plan", 3, PATH), 403, "blocked by the plan"),
        (ScpAnswer("reject", (), 404, "not a toll-free number served here", None, ()), 404,
         "not a toll-free number served here"),
        (ScpAnswer("announce", (), None, None, 3, PATH), 480, "announcement (no media server)"),
    ],
)  # fmt: skip
def test_plan_rejects_and_announcements_fail_as_blocked_by_plan(
    answer: ScpAnswer, code: int, reason: str
) -> None:
    sw = switch()
    records = sw.offer(spec("c1"), answer, now=1000.2)
    times = {"start": 1000.0, "end": 1000.2, "sip_code": code, "reason": reason, "block": "plan"}
    head = {"callid": "c1", "ts": 1000.2, "dnis": "+18005550100", "ani": "+13125550100"}
    routing: dict[str, Any] = {"version": 3, "path": list(PATH)} if answer.version else {}
    assert records == [
        {"type": "failed", **head, **routing, **times},
        {"type": "cdr", **head, **routing, **times, "state": "IL"},
    ]
    assert sw.open_calls == 0


def test_scp_down_fails_the_call_503() -> None:
    sw = switch()
    head = {"callid": "c1", "ts": 1002.0, "dnis": "+18005550100", "ani": "+13125550100"}
    times = {
        "start": 1000.0,
        "end": 1002.0,
        "sip_code": 503,
        "reason": "Routing service unavailable",
        "q850": 38,
    }
    assert sw.offer(spec("c1"), None, now=1002.0) == [
        {"type": "failed", **head, **times},
        {"type": "cdr", **head, **times, "state": "IL"},
    ]


def test_hang_up_ends_every_open_call() -> None:
    sw = switch()
    sw.offer(spec("talking"), route(EAST), now=1000.0)
    sw.offer(spec("ringing", 1003.0), route(WEST), now=1003.0)
    assert sw.hang_up(1006.0) == [
        base("answered", "talking", 1005.0),
        *final("ended", "talking", start=1000.0, answer=1005.0, end=1006.0, code=200),
        *final(
            "failed", "ringing", start=1003.0, end=1006.0, code=487, reason="Request Terminated", dest=WEST
        ),
    ]
    assert sw.open_calls == 0
    assert sw.next_due() is None
    assert {name: c["busy"] for name, c in sw.centers.snapshot().items()} == {"east": 0, "west": 0}


def test_scp_answer_parsing() -> None:
    answer = ScpAnswer.from_json(
        {
            "number": "+18005550100",
            "version": 2,
            "outcome": "route",
            "destinations": [
                {"dest": "site:east", "uri": "sip:127.0.0.1:5071", "carrier": None, "ring_timeout": 20},
                {
                    "dest": "+13125550199",
                    "uri": "sip:+13125550199@pstn",
                    "carrier": "0288",
                    "ring_timeout": 30,
                },
            ],
            "treatment": None,
            "code": None,
            "reason": None,
            "carrier": None,
            "path": [{"node": "M", "type": "tod", "took": 0}, {"node": "M.b0", "type": "tel", "took": None}],
        }
    )
    assert answer == ScpAnswer(
        outcome="route",
        destinations=(
            Destination("site:east", "sip:127.0.0.1:5071", None, 20),
            Destination("+13125550199", "sip:+13125550199@pstn", "0288", 30),
        ),
        code=None,
        reason=None,
        version=2,
        path=("M", "M.b0"),
    )
    bad: list[tuple[Any, str]] = [
        ([], "not a JSON object"),
        ({"outcome": "maybe"}, "unknown SCP outcome 'maybe'"),
        ({"outcome": "route", "destinations": [{"uri": "x"}]}, "an SCP destination has no dest"),
    ]
    for data, message in bad:
        with pytest.raises(ValueError, match=message):
            ScpAnswer.from_json(data)
