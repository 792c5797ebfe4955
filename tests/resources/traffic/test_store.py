"""store.py on a real migrated SQLite file (and the PostgreSQL test server): calls merged and
written, bucket increments upserted, duplicates inert, placeholders and locks on PostgreSQL,
peaks, the numbers replica and the stale-call sweep — with exact values."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import func, select
from traffic_store_support import (
    GLOBEX_1,
    GLOBEX_2,
    INITECH,
    NUMBERS,
    SITES,
    T0,
    Db,
    bucket_rows,
    call_records,
    db,
    directory,
    ev,
    full_call,
    pg,
    totals,
)

from resources.kit.db import unit_of_work
from resources.traffic.model import CallEvent, Key, NumberInfo
from resources.traffic.models import call_table
from resources.traffic.numbers import NumberDirectory
from resources.traffic.store import (
    BatchResult,
    apply_batch,
    close_stale_calls,
    load_lines,
    load_numbers,
    record_peaks,
    save_lines,
    save_numbers,
    stale_calls,
)

__all__ = ["db", "pg"]

EAST = (("globex", GLOBEX_1, "east", ""),)
FULL_CALL_COUNTERS = {
    "offered": 1,
    "answered": 1,
    "talk_seconds": 60,
    "tta_ms": 5000,
    "starts": 1,
    "ends": 1,
}


async def apply(
    d: Db, events: list[CallEvent], *, now: float = T0 + 100, numbers: NumberDirectory | None = None
) -> BatchResult:
    async with unit_of_work(d.maker, write=True) as session:
        return await apply_batch(session, events, directory() if numbers is None else numbers, now=now)


async def test_a_full_call_is_one_row_and_one_bucket(db: Db) -> None:
    result = await apply(db, full_call("c1", T0 + 10))
    assert (result.accepted, result.duplicates, result.outcomes) == (3, 0, ["accepted"] * 3)
    assert len(result.calls) == 1
    call = result.calls[0]
    assert (call.call_id, call.customer_id, call.number, call.site, call.destination) == (
        "c1",
        "globex",
        GLOBEX_1,
        "east",
        "site:east",
    )
    assert (call.start, call.answer, call.end, call.billable, call.disposition) == (
        T0 + 10,
        T0 + 15,
        T0 + 75,
        60,
        "answered",
    )
    assert (call.seen, call.counted, call.key) == (7, 7, Key("globex", GLOBEX_1, "east", ""))
    assert sum(c.amount for c in result.contributions) == 1 + 1 + 1 + 5000 + 60 + 1
    stored = await call_records(db.maker)
    assert list(stored) == ["c1"]
    assert stored["c1"] == call
    assert await bucket_rows(db.maker) == [
        {"start": T0, "key": EAST[0], "counters": FULL_CALL_COUNTERS, "peak": 0}
    ]


async def test_duplicates_change_nothing(db: Db) -> None:
    await apply(db, full_call("c1", T0 + 10))
    before_rows, before_calls = await bucket_rows(db.maker), await call_records(db.maker)
    again = await apply(db, full_call("c1", T0 + 10), now=T0 + 500)
    assert (again.accepted, again.duplicates, again.outcomes) == (0, 3, ["duplicate"] * 3)
    assert (again.calls, again.contributions) == ([], [])
    assert await bucket_rows(db.maker) == before_rows
    assert await call_records(db.maker) == before_calls


async def test_reports_in_two_batches_update_the_row_and_land_in_their_own_buckets(db: Db) -> None:
    first = await apply(db, [ev("c1", "routed", T0 + 290, site="west")])
    assert first.accepted == 1
    second = await apply(
        db, [ev("c1", "ended", T0 + 310, start=T0 + 290, end=T0 + 310, sip_code=487)], now=T0 + 311
    )
    assert (second.accepted, second.duplicates) == (1, 0)
    call = (await call_records(db.maker))["c1"]
    assert (call.disposition, call.sip_code, call.seen, call.counted, call.updated_at) == (
        "abandoned",
        487,
        1 | 4,
        1 | 4,
        T0 + 311,
    )
    west = ("globex", GLOBEX_1, "west", "")
    assert await bucket_rows(db.maker) == [
        {"start": T0, "key": west, "counters": {"offered": 1, "starts": 1}, "peak": 0},
        {"start": T0 + 300, "key": west, "counters": {"abandoned": 1, "ends": 1}, "peak": 0},
    ]


async def test_an_unknown_number_skips_a_new_call_but_not_a_known_one(db: Db) -> None:
    await apply(db, [ev("known", "routed", T0 + 1, number=INITECH)])
    gone = NumberDirectory()  # toll-free took every number away meanwhile
    result = await apply(
        db,
        [ev("new", "routed", T0 + 2, number=INITECH), ev("known", "ended", T0 + 30, number=INITECH)],
        numbers=gone,
    )
    assert (result.accepted, result.outcomes) == (1, ["unknown", "accepted"])
    stored = await call_records(db.maker)
    assert sorted(stored) == ["known"]
    assert (stored["known"].customer_id, stored["known"].resellers, stored["known"].disposition) == (
        "initech",
        ("acme",),
        "no_answer",  # rang 29 s
    )


async def test_many_calls_in_one_batch_are_chunked(db: Db) -> None:
    routed = [ev(f"c{i:04}", "routed", T0 + i % 600, number=GLOBEX_2) for i in range(1201)]
    result = await apply(db, routed)
    assert (result.accepted, len(result.calls)) == (1201, 1201)
    ended = [
        ev(f"c{i:04}", "failed", T0 + i % 600 + 1, number=GLOBEX_2, start=T0 + i % 600, sip_code=503)
        for i in range(1201)
    ]
    assert (await apply(db, ended, now=T0 + 700)).accepted == 1201
    assert await totals(db.maker) == {"offered": 1201, "starts": 1201, "all_trunks_busy": 1201, "ends": 1201}
    async with unit_of_work(db.maker, write=False) as session:
        count = (
            await session.execute(
                select(func.count())
                .select_from(call_table)
                .where(call_table.c.disposition == "all_trunks_busy")
            )
        ).scalar_one()
    assert count == 1201


async def test_record_peaks_keeps_the_maximum(db: Db) -> None:
    await apply(db, full_call("c1", T0 + 10))
    east = Key("globex", GLOBEX_1, "east", "")
    west = Key("globex", GLOBEX_1, "west", "")
    async with unit_of_work(db.maker, write=True) as session:
        await record_peaks(session, {(int(T0), east): 3, (int(T0), west): 2})
    async with unit_of_work(db.maker, write=True) as session:
        await record_peaks(session, {(int(T0), east): 1, (int(T0), west): 5})
    assert await bucket_rows(db.maker) == [
        {"start": T0, "key": tuple(east), "counters": FULL_CALL_COUNTERS, "peak": 3},
        {"start": T0, "key": tuple(west), "counters": {}, "peak": 5},
    ]


async def test_numbers_round_trip_and_replace(db: Db) -> None:
    async with unit_of_work(db.maker, write=True) as session:
        await save_numbers(session, list(NUMBERS), list(SITES))
    async with unit_of_work(db.maker, write=False) as session:
        assert await load_numbers(session) == (list(NUMBERS), list(SITES))
    async with unit_of_work(db.maker, write=True) as session:
        await save_numbers(session, [NUMBERS[2]], [])
    async with unit_of_work(db.maker, write=False) as session:
        assert await load_numbers(session) == ([NUMBERS[2]], [])


LINE = NumberInfo(number="+13125550142", customer_id="globex")
LINE_2 = NumberInfo(number="+442079460000", customer_id="initech", resellers=("acme",))


async def _lines_round_trip(d: Db) -> None:
    async with unit_of_work(d.maker, write=True) as session:
        await save_numbers(session, list(NUMBERS), list(SITES))
        await save_lines(session, [LINE, LINE_2])
    async with unit_of_work(d.maker, write=True) as session:
        await save_lines(session, [LINE_2])
    async with unit_of_work(d.maker, write=False) as session:
        assert await load_lines(session) == [LINE_2]
        assert await load_numbers(session) == (list(NUMBERS), list(SITES))  # untouched by the lines
    async with unit_of_work(d.maker, write=True) as session:
        await save_numbers(session, [], [])
    async with unit_of_work(d.maker, write=False) as session:
        assert await load_lines(session) == [LINE_2]  # untouched by the numbers


async def _an_outbound_call(d: Db) -> None:
    numbers = NumberDirectory(NUMBERS, SITES, [LINE])
    event = ev(
        "o1", "cdr", T0 + 70, number=LINE.number, start=T0 + 10, answer=T0 + 10, end=T0 + 70, sip_code=200,
        call_class="international", account_code="1001", destination="+442079460000", outbound=True,
    )  # fmt: skip
    result = await apply(d, [event], numbers=numbers)
    assert result.outcomes == ["accepted"]
    stored = (await call_records(d.maker))["o1"]
    assert stored == result.calls[0]
    assert (stored.call_class, stored.account_code, stored.key) == (
        "international",
        "1001",
        Key("globex", LINE.number, "", ""),
    )
    assert await bucket_rows(d.maker) == [
        {
            "start": T0,
            "key": ("globex", LINE.number, "", ""),
            "counters": {"offered": 1, "answered": 1, "talk_seconds": 60, "starts": 1, "ends": 1},
            "peak": 0,
        }
    ]


async def test_lines_round_trip_apart_from_the_numbers(db: Db) -> None:
    await _lines_round_trip(db)


async def test_an_outbound_call_keeps_its_class_and_counts_under_its_line(db: Db) -> None:
    await _an_outbound_call(db)


async def test_stale_calls_are_closed_as_failed(db: Db) -> None:
    await apply(db, [ev("old", "routed", T0), ev("young", "routed", T0 + 1000)])
    await apply(db, full_call("done", T0))
    async with unit_of_work(db.maker, write=False) as session:
        assert [r.call_id for r in await stale_calls(session, before=T0 + 1)] == ["old"]
    async with unit_of_work(db.maker, write=True) as session:
        early = await close_stale_calls(session, now=T0 + 3599, max_call_seconds=3600)
    assert early.calls == []
    async with unit_of_work(db.maker, write=True) as session:
        result = await close_stale_calls(session, now=T0 + 3700, max_call_seconds=3600)
    assert [c.call_id for c in result.calls] == ["old"]
    old = (await call_records(db.maker))["old"]
    assert (old.disposition, old.reason, old.end, old.billable) == ("failed", "no end report", T0 + 3600, 0)
    assert (await bucket_rows(db.maker))[-1] == {
        "start": T0 + 3600,
        "key": ("globex", GLOBEX_1, "", ""),
        "counters": {"failed": 1, "ends": 1},
        "peak": 0,
    }
    async with unit_of_work(db.maker, write=False) as session:
        assert await stale_calls(session, before=T0 + 5000) == [(await call_records(db.maker))["young"]]


# --- PostgreSQL (integration) -----------------------------------------------------------------------


async def test_postgresql_batches_match_sqlite(pg: Db) -> None:
    result = await apply(pg, [*full_call("c1", T0 + 10), ev("unknown", "routed", T0, number="+18885550199")])
    assert (result.accepted, result.outcomes) == (3, ["accepted"] * 3 + ["unknown"])
    # the unknown call's placeholder did not survive
    assert list(await call_records(pg.maker)) == ["c1"]
    assert (await call_records(pg.maker))["c1"] == result.calls[0]
    again = await apply(pg, full_call("c1", T0 + 10))
    assert (again.accepted, again.duplicates) == (0, 3)
    assert await bucket_rows(pg.maker) == [
        {"start": T0, "key": EAST[0], "counters": FULL_CALL_COUNTERS, "peak": 0}
    ]
    async with unit_of_work(pg.maker, write=True) as session:
        await record_peaks(session, {(int(T0), Key("globex", GLOBEX_1, "east", "")): 4})
    assert (await bucket_rows(pg.maker))[0]["peak"] == 4


async def test_postgresql_concurrent_overlapping_batches_count_exactly(pg: Db) -> None:
    """Two engines (two traffic processes) apply overlapping batches at the same time: every
    report is accepted exactly once in total and the bucket totals are exact."""
    from resources.kit.db import create_engine, create_sessionmaker

    other_engine = create_engine(url=pg.url, schema=pg.schema)
    other = Db(url=pg.url, schema=pg.schema, engine=other_engine, maker=create_sessionmaker(other_engine))
    rng = random.Random(7)
    calls = 300
    reports: list[CallEvent] = []
    for i in range(calls):
        reports += full_call(f"c{i:03}", T0 + i, number=(GLOBEX_1, GLOBEX_2, INITECH)[i % 3], site="east")
    try:
        accepted = duplicates = 0
        for _round in range(4):
            # each process gets a random 70 % of the reports, in their order: big overlaps
            mine = [r for r in reports if rng.random() < 0.7]
            theirs = [r for r in reports if rng.random() < 0.7]
            results = await asyncio.gather(apply(pg, mine), apply(other, theirs))
            accepted += sum(r.accepted for r in results)
            duplicates += sum(r.duplicates for r in results)
        # whatever was never drawn, once more so every report arrived at least once
        results = await asyncio.gather(apply(pg, reports), apply(other, list(reversed(reports))))
        accepted += sum(r.accepted for r in results)
    finally:
        await other_engine.dispose()
    assert accepted == 3 * calls
    assert await totals(pg.maker) == {
        "offered": calls,
        "answered": calls,
        "talk_seconds": 60 * calls,
        "tta_ms": 5000 * calls,
        "starts": calls,
        "ends": calls,
    }
    stored = await call_records(pg.maker)
    assert len(stored) == calls
    assert {(c.seen, c.counted, c.disposition) for c in stored.values()} == {(7, 7, "answered")}


async def test_postgresql_lines_and_outbound_calls(pg: Db) -> None:
    await _lines_round_trip(pg)
    await _an_outbound_call(pg)
