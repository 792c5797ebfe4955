"""The ingest writer on a real SQLite file: group commit, answers only after commit (durable),
`traffic.delta` after each commit, errors fail exactly the batch's submitters, the sweeper, the
stats, `run_ingest` (numbers and lines replicas, `tollfree.numbers-wanted`,
`outbound.lines-wanted`) and outbound CDRs counted under their calling line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from traffic_store_support import (
    GLOBEX_1,
    INITECH,
    NUMBERS,
    SITES,
    T0,
    Db,
    RecordingBus,
    bucket_rows,
    call_records,
    db,
    directory,
    ev,
    full_call,
    settings_for,
)

from resources.kit.db import create_engine, create_sessionmaker, unit_of_work
from resources.traffic.ingest import (
    DELTA,
    LINES,
    LINES_WANTED,
    IngestClosed,
    Ingestor,
    IngestResult,
    run_ingest,
)
from resources.traffic.model import CallEvent, NumberInfo, Rejection
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings
from resources.traffic.store import load_lines, load_numbers, save_lines, save_numbers
from resources.traffic.wire import parse_record

__all__ = ["db"]


@dataclass
class Clock:
    now: float = T0 + 100

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    ingestor: Ingestor
    bus: RecordingBus
    clock: Clock
    db: Db
    settings: TrafficSettings

    def deltas(self) -> list[dict[str, Any]]:
        return [e.payload for e in self.bus.published if e.topic == DELTA]


def make_rig(tmp_path: Path, db: Db, **kw: Any) -> Rig:
    bus, clock = RecordingBus(), Clock()
    settings = settings_for(tmp_path, bus, **kw)
    ingestor = Ingestor(settings=settings, maker=db.maker, bus=bus, numbers=directory(), clock=clock)
    return Rig(ingestor=ingestor, bus=bus, clock=clock, db=db, settings=settings)


@pytest.fixture
async def rig(tmp_path: Path, db: Db) -> AsyncIterator[Rig]:
    r = make_rig(tmp_path, db)
    async with r.ingestor.running():
        yield r


async def test_an_answer_means_committed(rig: Rig, tmp_path: Path) -> None:
    result = await rig.ingestor.submit(full_call("c1", T0 + 10))
    assert result == IngestResult(accepted=3, duplicates=0)
    # a brand-new engine (another process) sees the row and the bucket
    engine = create_engine(url=rig.db.url, schema=None)
    try:
        maker = create_sessionmaker(engine)
        assert list(await call_records(maker)) == ["c1"]
        assert (await bucket_rows(maker))[0]["counters"]["offered"] == 1
    finally:
        await engine.dispose()


async def test_the_delta_is_published_after_the_commit(rig: Rig) -> None:
    await rig.ingestor.submit(full_call("c1", T0 + 10))
    [delta] = rig.deltas()
    k = ["globex", GLOBEX_1, "east", ""]
    assert sorted(delta["c"]) == sorted(
        [
            [*k, int(T0) + 10, 0, 1],  # offered
            [*k, int(T0) + 10, 11, 1],  # starts
            [*k, int(T0) + 15, 1, 1],  # answered
            [*k, int(T0) + 15, 10, 5000],  # tta_ms
            [*k, int(T0) + 75, 9, 60],  # talk_seconds
            [*k, int(T0) + 75, 12, 1],  # ends
        ]
    )
    assert delta["calls"] == [
        {
            "call_id": "c1",
            "number": GLOBEX_1,
            "customer_id": "globex",
            "ani": None,
            "site": "east",
            "destination": "site:east",
            "carrier": None,
            "version": None,
            "start": T0 + 10,
            "answer": T0 + 15,
            "end": T0 + 75,
            "disposition": "answered",
            "sip_code": 200,
            "q850": 16,
            "billable": 60,
            "call_class": None,
            "account_code": None,
            "updated": T0 + 100,
        }
    ]
    # duplicates only: nothing changed, nothing published
    assert await rig.ingestor.submit(full_call("c1", T0 + 10)) == IngestResult(accepted=0, duplicates=3)
    assert len(rig.deltas()) == 1


async def test_concurrent_submitters_share_one_transaction(rig: Rig) -> None:
    a = [ev("a", "routed", T0 + 1)]
    b = [ev("a", "routed", T0 + 1, element="kam2"), ev("b", "routed", T0 + 2, element="kam2")]
    c = full_call("c", T0 + 3)
    results = await asyncio.gather(*(rig.ingestor.submit(x) for x in (a, b, c)))
    assert results == [IngestResult(1, 0), IngestResult(1, 1), IngestResult(3, 0)]
    assert (rig.ingestor.batches, rig.ingestor.last_batch_events) == (1, 6)
    assert len(rig.deltas()) == 1
    assert sorted(await call_records(rig.db.maker)) == ["a", "b", "c"]


async def test_a_batch_takes_at_most_writer_batch_events(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db, writer_batch=4)
    async with r.ingestor.running():
        batches = [[ev(f"c{i}", "routed", T0), ev(f"c{i}", "ended", T0 + 30)] for i in range(3)]
        big = [ev(f"big{i}", "routed", T0) for i in range(6)]  # larger than a batch: goes alone
        results = await asyncio.gather(*(r.ingestor.submit(x) for x in [*batches, big]))
    assert results == [IngestResult(2, 0)] * 3 + [IngestResult(6, 0)]
    assert r.ingestor.batches == 3  # [c0, c1], [c2], [big]


async def test_a_failing_transaction_fails_its_waiters_and_the_writer_goes_on(rig: Rig) -> None:
    async with unit_of_work(rig.db.maker, write=True) as session:
        await session.execute(
            text(
                "CREATE TRIGGER poison BEFORE INSERT ON traffic_calls WHEN NEW.call_id = 'poison' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            )
        )
    good, bad = [ev("good", "routed", T0)], [ev("poison", "routed", T0)]
    results = await asyncio.gather(
        rig.ingestor.submit(good), rig.ingestor.submit(bad), return_exceptions=True
    )
    assert all("poisoned" in str(r) for r in results)
    assert await call_records(rig.db.maker) == {}  # nothing of the batch was kept
    assert rig.deltas() == []
    assert await rig.ingestor.submit(good) == IngestResult(1, 0)
    assert list(await call_records(rig.db.maker)) == ["good"]
    assert (rig.ingestor.errors, rig.ingestor.batches) == (1, 1)


async def test_a_bus_failure_still_acknowledges_the_committed_batch(rig: Rig) -> None:
    rig.bus.fail = True
    assert await rig.ingestor.submit([ev("c1", "routed", T0)]) == IngestResult(1, 0)
    assert list(await call_records(rig.db.maker)) == ["c1"]


async def test_unknown_numbers_are_reported_by_index(rig: Rig) -> None:
    rig.ingestor.numbers.replace([NUMBERS[0]], [])
    events = [
        ev("x", "routed", T0, number=INITECH),
        ev("y", "routed", T0),
        ev("z", "routed", T0, number=INITECH),
    ]
    assert await rig.ingestor.submit(events) == IngestResult(1, 0, unknown=(0, 2))


async def test_submit_needs_the_writer(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db)
    with pytest.raises(IngestClosed):
        await r.ingestor.submit([ev("c1", "routed", T0)])
    assert await r.ingestor.submit([]) == IngestResult(0, 0)


async def test_leaving_drains_the_queue(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db)
    async with r.ingestor.running():
        pending = asyncio.ensure_future(r.ingestor.submit([ev("c1", "routed", T0)]))
        await asyncio.sleep(0)
    assert await pending == IngestResult(1, 0)


async def test_stats(rig: Rig) -> None:
    await rig.ingestor.submit(full_call("c1", T0 + 10))
    await rig.ingestor.submit([ev("c1", "routed", T0 + 10), ev("c2", "routed", T0, element="kam2")])
    rig.ingestor.count_rejected(
        "kam2",
        [
            Rejection(index=0, reason="unknown-number", field="dnis", message="dnis +18885550199 is unknown"),
            Rejection(index=3, reason="invalid", field="ts", message="ts is bad"),
        ],
    )
    stats = rig.ingestor.stats()
    assert isinstance(stats.pop("last_batch_ms"), float)
    assert stats == {
        "accepted": 4,
        "duplicates": 1,
        "unknown": 0,
        "rejected": {"invalid": 1, "unknown-number": 1},
        "batches": 2,
        "errors": 0,
        "swept": 0,
        "last_batch_events": 2,
        "queue_depth": 0,
        "elements": {
            "kam1": {"accepted": 3, "duplicates": 1, "unknown": 0, "rejected": {}, "last_seen": T0 + 100},
            "kam2": {
                "accepted": 1,
                "duplicates": 0,
                "unknown": 0,
                "rejected": {"invalid": 1, "unknown-number": 1},
                "last_seen": T0 + 100,
            },
        },
        "evapi": {},
        "recent_rejections": [
            {
                "element": "kam2",
                "at": T0 + 100,
                "index": 0,
                "reason": "unknown-number",
                "field": "dnis",
                "message": "dnis +18885550199 is unknown",
            },
            {
                "element": "kam2",
                "at": T0 + 100,
                "index": 3,
                "reason": "invalid",
                "field": "ts",
                "message": "ts is bad",
            },
        ],
    }


async def test_the_sweeper_closes_stale_calls(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db, max_call_seconds=600)
    async with r.ingestor.running():
        await r.ingestor.submit([ev("lost", "routed", T0), ev("fresh", "routed", T0 + 500)])
        r.clock.now = T0 + 601
        assert await r.ingestor.sweep() == 1
        assert await r.ingestor.sweep() == 0
    stored = await call_records(db.maker)
    assert (stored["lost"].disposition, stored["lost"].end, stored["fresh"].disposition) == (
        "failed",
        T0 + 600,
        None,
    )
    assert r.ingestor.swept == 1
    assert [c["call_id"] for c in r.deltas()[-1]["calls"]] == ["lost"]


@dataclass
class Ctx:
    settings: TrafficSettings
    maker: Any
    bus: RecordingBus
    numbers: NumberDirectory
    ingestor: Ingestor
    clock: Any = field(default=lambda: T0)


async def _until(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


async def test_run_ingest_replicates_numbers(tmp_path: Path, db: Db) -> None:
    async with unit_of_work(db.maker, write=True) as session:
        await save_numbers(session, [NUMBERS[2]], [])
    r = make_rig(tmp_path, db)
    numbers = NumberDirectory()
    r.ingestor.numbers = numbers
    ctx = Ctx(settings=r.settings, maker=db.maker, bus=r.bus, numbers=numbers, ingestor=r.ingestor)
    async with run_ingest(ctx):
        # the persisted picture first, then toll-free was asked for the current one
        assert [n.number for n in numbers.all()] == [INITECH]
        assert [(e.topic, e.payload) for e in r.bus.published] == [
            ("tollfree.numbers-wanted", {}),
            ("outbound.lines-wanted", {}),
        ]
        await r.bus.publish(
            "tollfree.numbers",
            {
                "numbers": [
                    {"number": n.number, "customer_id": n.customer_id, "resellers": list(n.resellers)}
                    for n in NUMBERS
                ],
                "sites": [{"customer_id": s.customer_id, "name": s.name, "uri": s.uri} for s in SITES],
            },
        )
        await _until(lambda: len(numbers) == 3)
        assert await r.ingestor.submit([ev("c1", "routed", T0)]) == IngestResult(1, 0)
        await r.bus.publish("tollfree.numbers", {"numbers": "nonsense"})  # logged and ignored
        await asyncio.sleep(0.01)
        assert (len(numbers), numbers.version) == (3, 2)
    async with unit_of_work(db.maker, write=False) as session:
        assert await load_numbers(session) == (list(NUMBERS), list(SITES))
    with pytest.raises(IngestClosed):
        await r.ingestor.submit([ev("c2", "routed", T0)])


class _Deadlock(Exception):
    sqlstate = "40P01"


async def test_a_deadlock_is_retried(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    import resources.traffic.ingest as ingest_module
    from resources.traffic.store import apply_batch as real

    calls: list[int] = []

    async def flaky(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise DBAPIError("UPDATE …", None, _Deadlock())
        return await real(*args, **kw)

    monkeypatch.setattr(ingest_module, "apply_batch", flaky)
    assert await rig.ingestor.submit([ev("c1", "routed", T0)]) == IngestResult(1, 0)
    assert (len(calls), rig.ingestor.errors, rig.ingestor.batches) == (2, 0, 1)


# --- outbound lines -------------------------------------------------------------------------------

LINE = "+13125550142"
LINE_2 = "+442079460000"
GLOBEX_LINE = NumberInfo(number=LINE, customer_id="globex")
HOOLI_LINE = NumberInfo(number=LINE_2, customer_id="hooli", resellers=("acme",))
OUTBOUND_CDR = {
    "start_time": str(T0 + 10),
    "end_time": str(T0 + 70.5),
    "duration": "60.500",
    "callid": "out-1",
    "line": "3125550142",
    "class": "international",
    "account": "1001",
    "dest": "+442079460000",
    "sip_code": "200",
}


def lines_payload(*lines: NumberInfo) -> dict[str, Any]:
    return {
        "lines": [
            {"number": n.number, "customer_id": n.customer_id, "resellers": list(n.resellers)} for n in lines
        ]
    }


async def test_run_ingest_replicates_lines(tmp_path: Path, db: Db) -> None:
    async with unit_of_work(db.maker, write=True) as session:
        await save_numbers(session, [NUMBERS[0]], [])
        await save_lines(session, [HOOLI_LINE])
    r = make_rig(tmp_path, db)
    numbers = NumberDirectory()
    r.ingestor.numbers = numbers
    ctx = Ctx(settings=r.settings, maker=db.maker, bus=r.bus, numbers=numbers, ingestor=r.ingestor)
    async with run_ingest(ctx):
        # a restarted traffic knows the persisted lines before outbound speaks
        assert (numbers.all(), numbers.lines(), numbers.version) == ([NUMBERS[0]], [HOOLI_LINE], 2)
        assert LINES_WANTED in [e.topic for e in r.bus.published]
        await r.bus.publish(LINES, lines_payload(GLOBEX_LINE, HOOLI_LINE))
        await _until(lambda: len(numbers.lines()) == 2)
        assert numbers.get(LINE) == GLOBEX_LINE
        assert numbers.all() == [NUMBERS[0]]  # the toll-free numbers stay
        await r.bus.publish(LINES, {"lines": [{"number": "nonsense", "customer_id": "x"}]})  # logged, ignored
        await r.bus.publish(LINES, lines_payload(GLOBEX_LINE, HOOLI_LINE))  # the same: nothing written
        await asyncio.sleep(0.01)
        assert (numbers.lines(), numbers.version) == ([GLOBEX_LINE, HOOLI_LINE], 3)
        event = parse_record(OUTBOUND_CDR, element="kam1", now=T0 + 100)
        assert isinstance(event, CallEvent)
        assert await r.ingestor.submit([event]) == IngestResult(1, 0)
    async with unit_of_work(db.maker, write=False) as session:
        assert await load_lines(session) == [GLOBEX_LINE, HOOLI_LINE]
        assert await load_numbers(session) == ([NUMBERS[0]], [])
    # a reload from the database gets them back
    again = NumberDirectory()
    r2 = make_rig(tmp_path, db)
    r2.ingestor.numbers = again
    ctx2 = Ctx(settings=r2.settings, maker=db.maker, bus=r2.bus, numbers=again, ingestor=r2.ingestor)
    async with run_ingest(ctx2):
        assert (again.lines(), again.get(LINE)) == ([GLOBEX_LINE, HOOLI_LINE], GLOBEX_LINE)
        assert [(e.topic, e.payload) for e in r2.bus.published] == [
            ("tollfree.numbers-wanted", {}),
            ("outbound.lines-wanted", {}),
        ]


async def test_an_outbound_cdr_is_stored_and_counted_under_its_line(tmp_path: Path, db: Db) -> None:
    r = make_rig(tmp_path, db)
    r.ingestor.numbers.replace_lines([GLOBEX_LINE])
    event = parse_record(OUTBOUND_CDR, element="kam1", now=T0 + 100)
    assert isinstance(event, CallEvent)
    async with r.ingestor.running():
        assert await r.ingestor.submit([event]) == IngestResult(1, 0)
        unknown = parse_record(
            {**OUTBOUND_CDR, "callid": "out-2", "line": "+13125550199"}, element="k", now=T0
        )
        assert isinstance(unknown, CallEvent)
        assert await r.ingestor.submit([unknown]) == IngestResult(0, 0, unknown=(0,))
    stored = await call_records(db.maker)
    assert list(stored) == ["out-1"]
    call = stored["out-1"]
    assert (
        call.number,
        call.customer_id,
        call.call_class,
        call.account_code,
        call.destination,
        call.disposition,
        call.billable,
        call.key,
    ) == (LINE, "globex", "international", "1001", "+442079460000", "answered", 61, ("globex", LINE, "", ""))
    assert await bucket_rows(db.maker) == [
        {
            "start": T0,
            "key": ("globex", LINE, "", ""),
            "counters": {"offered": 1, "answered": 1, "talk_seconds": 61, "starts": 1, "ends": 1},
            "peak": 0,
        }
    ]
    [delta] = r.deltas()
    assert (delta["calls"][0]["call_class"], delta["calls"][0]["account_code"]) == ("international", "1001")
    assert {tuple(c[:4]) for c in delta["c"]} == {("globex", LINE, "", "")}
