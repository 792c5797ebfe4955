"""repository.py read queries on a real migrated SQLite file, filled by store.apply_batch (see
traffic_web_support for the calls)."""

from __future__ import annotations

from datetime import UTC, datetime

from traffic_store_support import Db, db
from traffic_web_support import G1, G2, I1, T0, seed

from resources.kit.db import unit_of_work
from resources.traffic import repository as repo
from resources.traffic.model import FIELDS
from resources.traffic.repository import Filter

__all__ = ["db"]

DAY_START = datetime(2026, 3, 2, tzinfo=UTC)
DAY_END = datetime(2026, 3, 3, tzinfo=UTC)


def at(offset: float) -> datetime:
    return datetime.fromtimestamp(T0 + offset, UTC)


def nonzero(vector: tuple[int, ...]) -> dict[str, int]:
    return {name: v for name, v in zip(FIELDS, vector, strict=True) if v}


async def test_buckets_sum_the_filtered_grains_per_bucket(db: Db) -> None:
    await seed(db.maker)
    async with unit_of_work(db.maker, write=False) as s:
        globex = await repo.buckets(
            s, filter=Filter(customers=frozenset({"globex"})), start=DAY_START, end=DAY_END
        )
        everything = await repo.buckets(s, filter=Filter(), start=DAY_START, end=DAY_END)
        east = await repo.buckets(
            s, filter=Filter(customers=frozenset({"globex"}), site="east"), start=DAY_START, end=DAY_END
        )
        g2_only = await repo.buckets(s, filter=Filter(numbers=frozenset({G2})), start=DAY_START, end=DAY_END)
        later = await repo.buckets(s, filter=Filter(), start=at(300), end=at(600))
        nothing = await repo.buckets(s, filter=Filter(customers=frozenset()), start=DAY_START, end=DAY_END)
    assert [(b.start, nonzero(b.vector), b.peak_concurrent) for b in globex] == [
        (at(0), {"offered": 3, "answered": 1, "busy": 1, "talk_seconds": 60, "tta_ms": 5000, "starts": 3,
                 "ends": 2}, 0),
        (at(300), {"offered": 1, "blocked": 1, "starts": 1, "ends": 1}, 0),
        (at(600), {"offered": 1, "starts": 1}, 0),
    ]  # fmt: skip
    assert [nonzero(b.vector)["offered"] for b in everything] == [4, 1, 1]
    assert [(b.start, nonzero(b.vector)) for b in east] == [
        (at(0), {"offered": 1, "answered": 1, "talk_seconds": 60, "tta_ms": 5000, "starts": 1, "ends": 1}),
        (at(600), {"offered": 1, "starts": 1}),
    ]
    assert [(b.start, nonzero(b.vector)["offered"]) for b in g2_only] == [(at(0), 1), (at(300), 1)]
    assert [b.start for b in later] == [at(300)]  # end is exclusive
    assert nothing == []


async def test_calls_newest_first_with_keyset_paging_and_filters(db: Db) -> None:
    await seed(db.maker)
    globex = Filter(customers=frozenset({"globex"}))
    async with unit_of_work(db.maker, write=False) as s:
        first = await repo.calls(s, filter=globex, limit=2)
        second = await repo.calls(s, filter=globex, limit=2, before=(at(400), "g3"))
        third = await repo.calls(s, filter=globex, limit=2, before=(at(10), "g1"))
        busy = await repo.calls(s, filter=globex, disposition="busy", limit=10)
        open_ = await repo.calls(s, filter=Filter(), disposition="open", limit=10)
        ranged = await repo.calls(s, filter=Filter(), start=at(20), end=at(400), limit=10)
        by_number = await repo.calls(s, filter=Filter(numbers=frozenset({G2})), limit=10)
        initech = await repo.calls(s, filter=Filter(customers=frozenset({"initech"})), limit=10)
        east = await repo.calls(s, filter=Filter(site="east"), limit=10)
    assert [c.call_id for c in first] == ["g4", "g3"]
    assert [c.call_id for c in second] == ["g2", "g1"]
    assert [c.call_id for c in third] == ["g5"]
    assert [(c.call_id, c.disposition, c.sip_code, c.q850) for c in busy] == [("g2", "busy", 486, 17)]
    assert [c.call_id for c in open_] == ["g4", "g5"]
    assert [c.call_id for c in ranged] == ["i1", "g2"]  # seizure ≥ from, < to
    assert [c.call_id for c in by_number] == ["g3", "g5"]
    assert [(c.call_id, c.number, c.resellers) for c in initech] == [("i1", I1, ("acme",))]
    assert [c.call_id for c in east] == ["g4", "g1"]


async def test_one_call_and_the_live_backfill(db: Db) -> None:
    await seed(db.maker)
    async with unit_of_work(db.maker, write=False) as s:
        g1 = await repo.call(s, "g1")
        missing = await repo.call(s, "nope")
        since = await repo.calls_since(s, since=at(300))
        everything = await repo.calls_since(s, since=at(0))
        ended_inside = await repo.calls_since(s, since=at(40))
    assert g1 is not None
    assert (g1.number, g1.site, g1.version, g1.path, g1.start, g1.answer, g1.end, g1.billable) == (
        G1, "east", 1, ("M", "M.0"), T0 + 10, T0 + 15, T0 + 75, 60,
    )  # fmt: skip
    assert (g1.disposition, g1.key.site, g1.ani) == ("answered", "east", "+13125550101")
    assert missing is None
    # seized at or after `since`, plus every call still open (g5 began before), oldest first
    assert [c.call_id for c in since] == ["g5", "g3", "g4"]
    assert [c.call_id for c in everything] == ["g5", "g1", "g2", "i1", "g3", "g4"]
    # g1 was seized at 10 but ended at 75: its end belongs to the window; g2 ended at 30 does not
    assert [c.call_id for c in ended_inside] == ["g5", "g1", "i1", "g3", "g4"]


async def test_scoped_sites_widen_the_scoped_numbers(db: Db) -> None:
    await seed(db.maker)
    globex = frozenset({"globex"})
    g2_or_east = Filter(customers=globex, numbers=frozenset({G2}), sites=frozenset({"east"}))
    only = frozenset[str]()
    async with unit_of_work(db.maker, write=False) as s:
        union = await repo.calls(s, filter=g2_or_east, limit=10)
        union_buckets = await repo.buckets(s, filter=g2_or_east, start=DAY_START, end=DAY_END)
        west = await repo.calls(s, filter=Filter(numbers=only, sites=frozenset({"west"})), limit=10)
        hq = await repo.calls(
            s, filter=Filter(customers=globex, numbers=only, sites=frozenset({"hq"})), limit=10
        )
        no_site = await repo.calls(s, filter=Filter(numbers=only, sites=frozenset({""})), limit=10)
        unscoped = await repo.calls(s, filter=Filter(sites=frozenset({"east"})), limit=10)
        chosen = Filter(numbers=frozenset({G1}), sites=frozenset({"east"}), site="west")
        west_of_union = await repo.calls(s, filter=chosen, limit=10)
    assert [c.call_id for c in union] == ["g4", "g3", "g1", "g5"]
    offered = [(b.start, nonzero(b.vector)["offered"]) for b in union_buckets]
    assert offered == [(at(0), 2), (at(300), 1), (at(600), 1)]
    assert [c.call_id for c in west] == ["g2"]
    assert hq == []  # hq is Initech's
    assert no_site == []  # "" (no site) is never a scoped site
    # sites only widen a number scope; unscoped stays everything
    assert [c.call_id for c in unscoped] == ["g4", "g3", "i1", "g2", "g1", "g5"]
    assert [c.call_id for c in west_of_union] == ["g2"]  # the chosen grain site narrows the union
