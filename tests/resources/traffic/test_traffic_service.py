"""service.py: scoped reads (who sees what), history with derived metrics, call search and
paging, one call, CSV exports and live totals — on the seeded store (traffic_web_support)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from traffic_store_support import db
from traffic_web_support import G1, G2, I1, T0, Web, caller, directory, web

from resources.kit.db import unit_of_work
from resources.kit.errors import ValidationFailed
from resources.traffic import service
from resources.traffic.repository import Filter
from resources.traffic.schemas import CallQuery, Period, parse_call_query, parse_period

__all__ = ["db", "web"]

DAY = parse_period(day="2026-03-02", start=None, end=None, today=date(2026, 3, 9))


def at(offset: float) -> datetime:
    return datetime.fromtimestamp(T0 + offset, UTC)


def test_visibility_by_kind_and_scope() -> None:
    d = directory()
    assert service.visibility(caller=caller("admin"), numbers=d) == Filter()
    assert service.visibility(caller=caller("rita@acme"), numbers=d) == Filter(
        customers=frozenset({"initech"})
    )
    assert service.visibility(caller=caller("alice@globex"), numbers=d) == Filter(
        customers=frozenset({"globex"})
    )
    assert service.visibility(caller=caller("bob@globex"), numbers=d) == Filter(
        customers=frozenset({"globex"}), numbers=frozenset({G1})
    )
    assert service.visibility(caller=caller("eve@globex"), numbers=d).empty  # no traffic:view


def test_choices_are_the_live_choices() -> None:
    values = [c.value for c in service.choices(caller=caller("bob@globex"), numbers=directory())]
    assert values == ["all", f"number:{G1}", "site:globex/east", "site:globex/west"]
    assert [c.value for c in service.choices(caller=caller("rita@acme"), numbers=directory())] == [
        "all", "customer:initech", f"number:{I1}", "site:initech/hq",
    ]  # fmt: skip
    assert service.choices(caller=caller("eve@globex"), numbers=directory()) == []


async def history(w: Web, user: str, value: str = "all", period: Period = DAY) -> service.History:
    async with unit_of_work(w.ctx.maker, write=False) as s:
        return await service.history(
            s, caller=caller(user), numbers=w.ctx.numbers, value=value, period=period, bucket_seconds=300
        )


async def test_history_sums_buckets_with_derived_metrics(web: Web) -> None:
    h = await history(web, "alice@globex")
    assert h.selection.label == "All your numbers"
    counts = [(r.value("offered"), r.value("answered"), r.value("busy"), r.value("blocked")) for r in h.rows]
    assert [r.start for r in h.rows] == [at(0), at(300), at(600)]
    assert counts == [(3, 1, 1, 0), (1, 0, 0, 1), (1, 0, 0, 0)]
    assert h.rows[0].derived == {"asr": 1 / 3, "ner": 2 / 3, "acd": 60.0, "tta": 5.0}
    assert h.rows[2].derived == {"asr": 0.0, "ner": 0.0, "acd": None, "tta": None}
    assert (h.total("offered"), h.total("answered"), h.total("starts"), h.total("ends")) == (5, 1, 5, 3)
    # NER: answered + busy + blocked of 5 offered
    assert h.derived == {"asr": 0.2, "ner": 0.6, "acd": 60.0, "tta": 5.0}
    series = h.series()
    assert len(series["times"]) == 288  # every 5 minutes of the day, zeros included
    start = int(T0) - 15 * 3600
    assert series["times"][:2] == [start, start + 300]
    i = series["times"].index(int(T0))
    assert (series["offered"][i : i + 3], series["blocked"][i : i + 3]) == ([3, 1, 1], [0, 1, 0])
    assert sum(series["offered"]) == 5


async def test_history_is_scoped(web: Web) -> None:
    bob = await history(web, "bob@globex")
    assert [(r.start, r.value("offered")) for r in bob.rows] == [(at(0), 2), (at(600), 1)]
    rita = await history(web, "rita@acme")
    assert [(r.start, r.value("offered"), r.value("answered")) for r in rita.rows] == [(at(0), 1, 1)]
    admin = await history(web, "admin")
    assert admin.total("offered") == 6
    east = await history(web, "alice@globex", "site:globex/east")
    assert (east.selection.label, east.total("offered"), east.total("answered")) == ("Site east", 2, 1)
    g2 = await history(web, "admin", f"number:{G2}")
    assert [(r.start, r.value("offered")) for r in g2.rows] == [(at(0), 1), (at(300), 1)]
    for user, value in (
        ("bob@globex", f"number:{G2}"),
        ("alice@globex", f"number:{I1}"),
        ("rita@acme", "customer:globex"),
        ("carol@initech", "site:globex/east"),
        ("alice@globex", "number:+18005559999"),
    ):
        with pytest.raises(service.NotVisible) as caught:
            await history(web, user, value)
        assert (caught.value.status, caught.value.field) == (404, "select")
    with pytest.raises(service.NotVisible):
        await history(web, "eve@globex")


async def test_history_csv(web: Web) -> None:
    h = await history(web, "bob@globex")
    assert service.history_csv(h).splitlines() == [
        "bucket_start,offered,answered,short,abandoned,no_answer,busy,all_trunks_busy,blocked,failed,"
        "talk_seconds,tta_ms,starts,ends,peak_concurrent,asr,ner,acd,tta",
        "2026-03-02T15:00:00Z,2,1,0,0,0,1,0,0,0,60,5000,2,2,0,0.5000,1.0000,60.0000,5.0000",
        "2026-03-02T15:10:00Z,1,0,0,0,0,0,0,0,0,0,0,1,0,0,0.0000,0.0000,,",
    ]


async def search(w: Web, user: str, **params: str) -> service.CallPage:
    async with unit_of_work(w.ctx.maker, write=False) as s:
        return await service.search_calls(
            s, caller=caller(user), numbers=w.ctx.numbers, query=parse_call_query(params)
        )


async def test_call_search_pages_and_filters(web: Web) -> None:
    first = await search(web, "alice@globex", limit="2")
    assert [c.call_id for c in first.items] == ["g4", "g3"]
    assert first.next_cursor == f"{int(T0 + 400) * 1_000_000}:g3"
    second = await search(web, "alice@globex", limit="2", before=first.next_cursor or "")
    assert [c.call_id for c in second.items] == ["g2", "g1"]
    third = await search(web, "alice@globex", limit="2", before=second.next_cursor or "")
    assert ([c.call_id for c in third.items], third.next_cursor) == (["g5"], None)
    assert third.summaries[0]["call_id"] == "g5"
    assert third.summaries[0]["disposition"] is None
    assert [c.call_id for c in (await search(web, "bob@globex")).items] == ["g4", "g2", "g1"]
    assert [c.call_id for c in (await search(web, "rita@acme")).items] == ["i1"]
    assert [c.call_id for c in (await search(web, "admin", disposition="open")).items] == ["g4", "g5"]
    assert [c.call_id for c in (await search(web, "admin", number="8005550101")).items] == ["g3", "g5"]
    ranged = await search(web, "alice@globex", **{"from": "2026-03-02 15:00:20", "to": "2026-03-02 15:06:40"})
    assert [c.call_id for c in ranged.items] == ["g2"]  # i1 is Initech's; g3 at 15:06:40 is excluded
    whole_day = await search(web, "admin", **{"from": "2026-03-02", "to": "2026-03-02"})
    assert len(whole_day.items) == 6
    assert (await search(web, "eve@globex")).items == []
    with pytest.raises(service.NotVisible) as caught:
        await search(web, "bob@globex", number=G2)
    assert (caught.value.status, caught.value.field, caught.value.detail) == (
        404, "number", "+18005550101 is not one of your numbers",
    )  # fmt: skip


def test_call_query_errors_name_every_bad_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_call_query(
            {"number": "12345", "disposition": "lost", "from": "yesterday", "to": "2026-13-01", "limit": "0"}
        )
    assert caught.value.errors == [
        {"field": "number",
         "message": "Enter a toll-free number like +18005550100 or a line like +13125550142."},
        {"field": "disposition", "message": "Unknown disposition 'lost': use one of answered, short, "
         "abandoned, no_answer, busy, all_trunks_busy, blocked, failed or open."},
        {"field": "from", "message": "Give a time as YYYY-MM-DD HH:MM (UTC)."},
        {"field": "to", "message": "Give a time as YYYY-MM-DD HH:MM (UTC)."},
        {"field": "limit", "message": "Give a whole number from 1 to 500."},
    ]  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        parse_call_query({"from": "2026-03-02 12:00", "to": "2026-03-02 11:00"})
    assert caught.value.errors == [{"field": "to", "message": "The end must be after the start."}]
    assert parse_call_query({}) == CallQuery(limit=50)
    with pytest.raises(ValidationFailed) as caught:
        parse_call_query({"before": "abc:g1"})
    assert caught.value.errors[0]["field"] == "before"


async def get(w: Web, user: str, call_id: str) -> object:
    async with unit_of_work(w.ctx.maker, write=False) as s:
        return await service.get_call(s, caller=caller(user), numbers=w.ctx.numbers, call_id=call_id)


async def test_one_call_is_404_when_not_visible(web: Web) -> None:
    assert getattr(await get(web, "alice@globex", "g1"), "billable", None) == 60
    assert getattr(await get(web, "rita@acme", "i1"), "number", None) == I1
    assert getattr(await get(web, "admin", "g3"), "disposition", None) == "blocked"
    hidden = [("bob@globex", "g3"), ("rita@acme", "g1"), ("carol@initech", "g1"), ("alice@globex", "i1")]
    for user, call_id in [*hidden, ("alice@globex", "nope"), ("eve@globex", "g1")]:
        with pytest.raises(service.NotVisible) as caught:
            await get(web, user, call_id)
        assert (caught.value.status, caught.value.detail) == (404, "no such call")


async def test_call_export_is_scoped_csv(web: Web) -> None:
    async with unit_of_work(web.ctx.maker, write=False) as s:
        text = await service.export_calls(
            s, caller=caller("alice@globex"), numbers=web.ctx.numbers, query=CallQuery(number=G2)
        )
    assert text.splitlines() == [
        "call_id,number,customer_id,ani,site,destination,uri,carrier,version,path,start,answer,end,"
        "duration,billable,disposition,sip_code,q850,block,reason,account_code,origin_state,origin_lata,element,"
        "call_class",
        "g3,+18005550101,globex,,,,,,,,2026-03-02T15:06:40Z,,2026-03-02T15:06:40Z,0.0,0,blocked,,,plan,"
        "'=HYPERLINK(evil),,,,kam1,",  # formula-looking text is defused
        "g5,+18005550101,globex,+13125550199,,,,,,,2026-03-02T15:00:05Z,,,,,,,,,,,,,kam1,",
    ]


def test_live_totals_of_the_window(web: Web) -> None:
    d = web.ctx.numbers
    alice = service.live_totals(caller=caller("alice@globex"), numbers=d, live=web.ctx.live, value="all")
    assert alice["selection"] == {"value": "all", "label": "All your numbers"}
    assert alice["window"] == 900
    assert alice["totals"] == {
        "offered": 5, "answered": 1, "short": 0, "abandoned": 0, "no_answer": 0, "busy": 1,
        "all_trunks_busy": 0, "blocked": 1, "failed": 0, "talk_seconds": 60, "tta_ms": 5000,
        "asr": 0.2, "ner": 0.6, "acd": 60.0, "tta": 5.0, "concurrent": 2, "peak_concurrent": 3,
    }  # fmt: skip
    east = service.live_totals(
        caller=caller("bob@globex"), numbers=d, live=web.ctx.live, value="site:globex/east"
    )
    assert (east["totals"]["offered"], east["totals"]["concurrent"], east["totals"]["peak_concurrent"]) == (
        2,
        1,
        1,
    )
    rita = service.live_totals(caller=caller("rita@acme"), numbers=d, live=web.ctx.live, value="all")
    assert (rita["totals"]["offered"], rita["totals"]["answered"], rita["totals"]["concurrent"]) == (1, 1, 0)
    with pytest.raises(service.NotVisible):
        service.live_totals(caller=caller("bob@globex"), numbers=d, live=web.ctx.live, value=f"number:{G2}")
