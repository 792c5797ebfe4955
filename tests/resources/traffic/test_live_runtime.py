"""run_live: the backfill (and the deltas it already holds), `traffic.delta` and
`directory.changed` from the bus, the peak writer; `calls.contributions_of` against `calls.merge`; the
database source on a real migrated SQLite file.

The database is replaced by a fake `Source` (the boundary) except in the DbSource test; bus,
live state and hub are real."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from live_support import BOB, T0, Clock, Socket, directory, live_state, point, settings
from traffic_store_support import Db, bucket_rows, db

from resources.kit.db import unit_of_work
from resources.kit.events import InProcessBus
from resources.traffic import live_runtime
from resources.traffic.calls import contributions_of, merge, summary
from resources.traffic.hub import Hub
from resources.traffic.live import LiveState
from resources.traffic.live_runtime import (
    DELTA,
    DIRECTORY_CHANGED,
    DbSource,
    DeltaError,
    PeakWriter,
    parse_delta,
    run_live,
)
from resources.traffic.model import FIELD_INDEX, CallEvent, CallRecord, Contribution, Key, NumberInfo
from resources.traffic.numbers import NumberDirectory
from resources.traffic.scope import ViewScope
from resources.traffic.settings import TrafficSettings
from resources.traffic.store import apply_batch

__all__ = ["db"]

G1, G2 = "+18005550100", "+18005550101"
INFO = {G1: NumberInfo(number=G1, customer_id="globex"), G2: NumberInfo(number=G2, customer_id="globex")}
EAST1 = Key("globex", G1, "east", "")
EAST2 = Key("globex", G2, "east", "")
WEST1 = Key("globex", G1, "west", "")


def ev(call_id: str, kind: Any, ts: float, *, number: str = G1, **kw: Any) -> CallEvent:
    return CallEvent(call_id=call_id, kind=kind, ts=ts, element="kam1", number=number, **kw)


def merged(events: list[CallEvent]) -> tuple[CallRecord, list[Contribution]]:
    """The call after `events` (each merged at its own time + 0.5 s) and every contribution."""
    record: CallRecord | None = None
    out: list[Contribution] = []
    for e in events:
        record, contributions, _ = merge(record, e, INFO[e.number], now=e.ts + 0.5)
        out += contributions
    assert record is not None
    return record, out


def full_call(call_id: str, t: float, *, number: str = G1, site: str = "east") -> list[CallEvent]:
    return [
        ev(call_id, "routed", t, number=number, site=site),
        ev(call_id, "answered", t + 5.25, number=number),
        ev(call_id, "ended", t + 19.5, number=number, start=t, answer=t + 5.25, end=t + 19.5, sip_code=200),
    ]


T = T0 + 0.75
CASES: dict[str, list[CallEvent]] = {
    "full call": full_call("a", T),
    "answered before routed": [
        ev("b", "answered", T + 4),
        ev("b", "routed", T, site="east"),
        ev("b", "ended", T + 30, sip_code=200),
    ],
    "CDR alone": [ev("c", "cdr", T + 40, start=T, answer=T + 2, end=T + 40, sip_code=200)],
    "busy": [ev("d", "routed", T), ev("d", "failed", T + 3, sip_code=486)],
    "caller gave up": [ev("e", "routed", T), ev("e", "failed", T + 15, sip_code=487)],
    "blocked by the plan": [ev("f", "cdr", T, start=T, end=T, block="plan")],
    "still talking": [ev("g", "routed", T), ev("g", "answered", T + 1)],
    "events and then the CDR": [
        *full_call("h", T),
        ev("h", "cdr", T + 19.5, start=T, answer=T + 5.25, end=T + 19.5),
    ],
}


@pytest.mark.parametrize("name", list(CASES))
def test_contributions_of_a_record_are_what_merge_produced(name: str) -> None:
    record, produced = merged(CASES[name])
    assert produced
    assert sorted(contributions_of(record)) == sorted(produced)


def test_contributions_of_a_full_call_exactly() -> None:
    record, _ = merged(full_call("a", T))
    s = math.floor(T)
    assert contributions_of(record) == [
        Contribution(EAST1, s, FIELD_INDEX["offered"], 1),
        Contribution(EAST1, s, FIELD_INDEX["starts"], 1),
        Contribution(EAST1, s + 6, FIELD_INDEX["answered"], 1),
        Contribution(EAST1, s + 6, FIELD_INDEX["tta_ms"], 5250),
        Contribution(EAST1, s + 20, FIELD_INDEX["talk_seconds"], 15),
        Contribution(EAST1, s + 20, FIELD_INDEX["ends"], 1),
    ]


def test_parse_delta() -> None:
    contributions, calls = parse_delta(
        {"c": [["globex", G1, "east", "", T0, 0, 1]], "calls": [{"call_id": "a", "updated": 1.0}]}
    )
    assert contributions == [Contribution(EAST1, T0, 0, 1)]
    assert calls == [{"call_id": "a", "updated": 1.0}]
    assert parse_delta({}) == ([], [])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "the payload must be an object"),
        ({"c": {}}, "c and calls must be lists"),
        ({"c": [["globex", G1, "east", "", T0, 13, 1]]}, r"c\[0\] must be"),
        ({"c": [["globex", G1, "east", "", str(T0), 0, 1]]}, r"c\[0\] must be"),
        ({"c": [["globex", G1, "east", "", T0, 0, True]]}, r"c\[0\] must be"),
        ({"c": [], "calls": [{"id": "a"}]}, "calls must be CallSummary objects"),
    ],
)
def test_parse_delta_refuses_other_shapes(payload: Any, message: str) -> None:
    with pytest.raises(DeltaError, match=message):
        parse_delta(payload)


@dataclass
class FakeSource:
    records: list[CallRecord]
    asked: list[float] = field(default_factory=list)
    written: list[dict[tuple[int, Key], int]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    failures: int = 0

    async def calls_since(self, since: float) -> list[CallRecord]:
        self.asked.append(since)
        if self.gate is not None:
            await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the database is down")
        return list(self.records)

    async def record_peaks(self, peaks: Any) -> None:
        self.written.append(dict(peaks))


@dataclass
class Ctx:
    settings: TrafficSettings
    bus: InProcessBus
    numbers: NumberDirectory
    live: LiveState
    hub: Hub
    clock: Clock


def make_ctx(clock: Clock) -> Ctx:
    bus = InProcessBus()
    config = settings(bus=bus, flush_interval=0.01)
    live, numbers = live_state(clock), directory()
    return Ctx(
        config, bus, numbers, live, Hub(live=live, numbers=numbers, settings=config, clock=clock), clock
    )


async def until(what: str, check: Callable[[], bool], timeout: float = 2.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what}: not reached")


def delta(contributions: list[Contribution], records: list[CallRecord]) -> dict[str, Any]:
    return {
        "c": [[*c.key, c.second, c.field, c.amount] for c in contributions],
        "calls": [summary(r) for r in records],
    }


async def test_run_live_backfills_follows_the_bus_and_writes_peaks() -> None:
    clock = Clock(now=T0 + 30.5)
    ctx = make_ctx(clock)
    done, _ = merged(full_call("a", T0 + 1))
    routed_b, routed_contributions = merged([ev("b", "routed", T0 + 10, number=G2, site="east")])
    long_ago, _ = merged([ev("c", "routed", T0 - 3000, site="west"), ev("c", "answered", T0 - 2990)])
    source = FakeSource([done, routed_b, long_ago], gate=asyncio.Event())
    entered, stop = asyncio.Event(), asyncio.Event()

    async def scenario() -> None:
        async with run_live(ctx, source=source, peak_interval=0.05):
            entered.set()
            await stop.wait()

    task = asyncio.create_task(scenario())
    await until("reading the store", lambda: bool(source.asked))
    assert source.asked == [T0 + 30.5 - 960]
    # a batch committed before the store was read, heard while reading: already in the backfill
    await ctx.bus.publish(DELTA, delta(routed_contributions, [routed_b]))
    assert source.gate is not None
    source.gate.set()
    await asyncio.wait_for(entered.wait(), 2)

    answered_b, more = merged(
        [ev("b", "routed", T0 + 10, number=G2, site="east"), ev("b", "answered", T0 + 25, number=G2)]
    )
    await ctx.bus.publish(DELTA, delta([c for c in more if c.second == T0 + 25], [answered_b]))
    await until("the answer applied", lambda: ctx.live.vector(EAST2, T0 + 25)[FIELD_INDEX["answered"]] == 1)
    assert ctx.live.vector(EAST2, T0 + 10)[FIELD_INDEX["offered"]] == 1  # not twice
    everything = ViewScope.for_caller(BOB, ctx.numbers)
    assert everything is not None
    assert ctx.live.points(everything.contains, ctx.live.seconds()) == [
        point(T0 + 1, 2, offered=1),  # "c" has been talking since long before the window
        point(T0 + 6, 2, answered=1, tta_ms=5250),
        point(T0 + 10, 3, offered=1),
        point(T0 + 20, 2, talk_seconds=15),
        point(T0 + 25, 2, answered=1, tta_ms=15_000),
    ]
    assert ctx.live.concurrency(WEST1) == 1  # seized 50 minutes ago, still talking
    assert [c["call_id"] for c in ctx.live.recent_calls(everything.contains, 10)] == ["b", "a", "c"]

    await until("peaks written", lambda: bool(source.written))
    assert source.written[0] == {(T0, EAST1): 1, (T0, EAST2): 1, (T0, WEST1): 1}

    socket = Socket()
    scope = ViewScope.for_caller(BOB, ctx.numbers)
    assert scope is not None
    all_of_it = scope.selection("all")
    assert all_of_it is not None
    ctx.hub.attach(scope=scope, selection=all_of_it, user_id="u-bob", send=socket.send, close=socket.close)
    await ctx.bus.publish(DIRECTORY_CHANGED, {"user_ids": ["u-bob"]})
    await until("bob's socket closed", lambda: socket.closed is not None)
    assert socket.closed == (4401, "your access changed: reconnect")

    stop.set()
    await asyncio.wait_for(task, 2)
    assert len(source.written) == 1  # nothing higher since


async def test_a_failed_backfill_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_runtime, "RESUBSCRIBE_DELAY", 0.01)
    clock = Clock(now=T0 + 30.5)
    ctx = make_ctx(clock)
    record, _ = merged(full_call("a", T0 + 1))
    source = FakeSource([record], failures=1)
    async with run_live(ctx, source=source):
        assert ctx.live.seconds() == []  # up, but empty for now
        await until("second backfill", lambda: ctx.live.seconds() == [T0 + 1, T0 + 6, T0 + 20])
    assert len(source.asked) == 2


async def test_peak_writer_covers_the_buckets_touched_since_its_last_write() -> None:
    clock = Clock(now=T0 + 400.5)
    live = live_state(clock)
    source = FakeSource([])
    writer = PeakWriter(live, source, bucket_seconds=300, clock=clock)
    live.apply([Contribution(EAST1, T0 + 350, FIELD_INDEX["starts"], 1)], [], stamp_ms=clock.ms())
    assert await writer.write() == 1
    assert source.written == [{(T0 + 300, EAST1): 1}]
    clock.now += 5
    late = [
        Contribution(EAST2, T0 + 100, FIELD_INDEX["starts"], 1),
        Contribution(EAST2, T0 + 101, FIELD_INDEX["starts"], 1),
    ]
    live.apply(late, [], stamp_ms=clock.ms())  # reports about the previous bucket
    assert await writer.write() == 2
    assert source.written[1] == {(T0, EAST2): 2, (T0 + 300, EAST2): 2}
    assert await writer.write() == 0


async def test_the_database_source_reads_calls_and_writes_peaks(db: Db) -> None:
    now = T0 + 100
    numbers = NumberDirectory(list(INFO.values()))
    events = [*full_call("a", T0 + 1), ev("b", "routed", T0 + 10, number=G2, site="east")]
    async with unit_of_work(db.maker, write=True) as session:
        result = await apply_batch(session, events, numbers, now=now)

    @dataclass
    class DbCtx:
        maker: Any

    source = DbSource(DbCtx(db.maker))
    records = await source.calls_since(T0)
    assert [r.call_id for r in records] == ["a", "b"]
    assert sorted(c for r in records for c in contributions_of(r)) == sorted(result.contributions)
    await source.record_peaks({(T0, EAST2): 3})
    rows = await bucket_rows(db.maker)
    assert [(r["start"], r["key"], r["peak"]) for r in rows if r["key"][1] == G2] == [(T0, tuple(EAST2), 3)]
