"""service.py with `site:` scopes: history, call search, one call, CSV exports and `can_see` let
a row through when its number is in scope OR its grain site is a scoped site — never another
customer's site of the same name.

The store (T0 = 2026-03-02 15:00:00 UTC; G1, G2 Globex's, I1 Initech's under reseller Acme;
both customers have a site called east):
* e1  G1 at Globex east, seized T0+10, answered T0+15, ended T0+75
* e2  G2 at Globex east, seized T0+20, 486 at T0+30 (busy)
* w1  G1 at Globex west, seized T0+40, 486 at T0+50 (busy)
* x1  I1 at Initech east, seized T0+60, answered T0+65, ended T0+125
* w2  G2 at Globex west, seized T0+320, still open
* n1  G2 at no site, blocked by the plan at T0+330
* h1  I1 at Initech hq, seized T0+350, still open
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from traffic_store_support import Db, db
from traffic_web_support import G1, G2, I1, NUMBERS, T0, ev
from traffic_web_support import SITES as WEB_SITES

from resources.kit.caller import Caller, Entitlement, Kind
from resources.kit.db import unit_of_work
from resources.traffic import service
from resources.traffic.manifest import VIEW
from resources.traffic.model import CallRecord, Key, SiteInfo
from resources.traffic.numbers import NumberDirectory
from resources.traffic.repository import Filter
from resources.traffic.schemas import CallQuery, parse_call_query, parse_period
from resources.traffic.store import apply_batch

__all__ = ["db"]

DAY = parse_period(day="2026-03-02", start=None, end=None, today=date(2026, 3, 9))
SITES = (  # the web tests' sites, and an east at initech too (site names are per customer)
    *WEB_SITES,
    SiteInfo(customer_id="initech", name="east", uri="sip:10.2.1.3:5060"),
)
EVENTS = [
    ev("e1", "routed", 10, G1, site="east", destination="site:east"),
    ev("e1", "answered", 15, G1),
    ev("e1", "ended", 75, G1, start=10, answer=15, end=75, sip_code=200),
    ev("e2", "routed", 20, G2, site="east", destination="site:east"),
    ev("e2", "failed", 30, G2, start=20, end=30, sip_code=486),
    ev("w1", "routed", 40, G1, site="west", destination="site:west"),
    ev("w1", "failed", 50, G1, start=40, end=50, sip_code=486),
    ev("x1", "routed", 60, I1, site="east", destination="site:east"),
    ev("x1", "answered", 65, I1),
    ev("x1", "ended", 125, I1, start=60, answer=65, end=125, sip_code=200),
    ev("w2", "routed", 320, G2, site="west", destination="site:west"),
    ev("n1", "failed", 330, G2, start=330, end=330, block="plan"),
    ev("h1", "routed", 350, I1, site="hq", destination="site:hq"),
]


def user(name: str, kind: Kind, org: str, scope: tuple[str, ...] | None) -> Caller:
    return Caller(
        subject=f"u-{name}",
        username=f"{name}@{org}",
        kind=kind,
        plane="customer",
        org_id=org,
        customer_id=org if kind == "customer" else None,
        reseller_chain=("acme",) if org == "initech" else (),
        brand="default",
        entitlements=(Entitlement(action=VIEW, scope=scope),),
        session="sess-1",
        request_id="req-1",
        jti="jti-1",
    )


DANA = user("dana", "customer", "globex", ("site:east",))  # Globex's east only
FRED = user("fred", "customer", "globex", (G2, "site:east"))  # G2 anywhere + Globex's east
ALICE = user("alice", "customer", "globex", None)  # unscoped
IVAN = user("ivan", "customer", "initech", ("site:east",))  # Initech's east only
RITA = user("rita", "reseller", "acme", ("site:east",))  # Acme's customers' east only
ADMIN = user("admin", "provider", "switchboard", ("site:east",))
DIRECTORY = NumberDirectory(NUMBERS, SITES)


def at(offset: float) -> datetime:
    return datetime.fromtimestamp(T0 + offset, UTC)


@pytest.fixture
async def store(db: Db) -> Db:
    async with unit_of_work(db.maker, write=True) as session:
        result = await apply_batch(session, EVENTS, DIRECTORY, now=T0 + 400)
    assert result.outcomes.count("unknown") == 0
    return db


async def history(d: Db, caller: Caller, value: str = "all") -> service.History:
    async with unit_of_work(d.maker, write=False) as s:
        return await service.history(
            s, caller=caller, numbers=DIRECTORY, value=value, period=DAY, bucket_seconds=300
        )


def offered(h: service.History) -> list[tuple[datetime, int]]:
    return [(r.start, r.value("offered")) for r in h.rows]


async def search(d: Db, caller: Caller, **params: str) -> list[str]:
    async with unit_of_work(d.maker, write=False) as s:
        page = await service.search_calls(s, caller=caller, numbers=DIRECTORY, query=parse_call_query(params))
    return [c.call_id for c in page.items]


async def get(d: Db, caller: Caller, call_id: str) -> CallRecord:
    async with unit_of_work(d.maker, write=False) as s:
        return await service.get_call(s, caller=caller, numbers=DIRECTORY, call_id=call_id)


async def export(d: Db, caller: Caller, query: CallQuery | None = None) -> list[list[str]]:
    """The CSV rows (header left out) as call_id, number, customer_id, site."""
    async with unit_of_work(d.maker, write=False) as s:
        text = await service.export_calls(s, caller=caller, numbers=DIRECTORY, query=query or CallQuery())
    rows = [line.split(",") for line in text.splitlines()]
    assert rows[0][:5] == ["call_id", "number", "customer_id", "ani", "site"]
    return [[r[0], r[1], r[2], r[4]] for r in rows[1:]]


def test_visibility_carries_the_scoped_sites() -> None:
    east = frozenset({"east"})
    assert service.visibility(caller=DANA, numbers=DIRECTORY) == Filter(
        customers=frozenset({"globex"}), numbers=frozenset(), sites=east
    )
    assert service.visibility(caller=FRED, numbers=DIRECTORY) == Filter(
        customers=frozenset({"globex"}), numbers=frozenset({G2}), sites=east
    )
    assert service.visibility(caller=RITA, numbers=DIRECTORY) == Filter(
        customers=frozenset({"initech"}), numbers=frozenset(), sites=east
    )
    assert service.visibility(caller=ALICE, numbers=DIRECTORY) == Filter(customers=frozenset({"globex"}))
    assert not service.visibility(caller=DANA, numbers=DIRECTORY).empty


def test_filter_emptiness_counts_sites() -> None:
    assert Filter(numbers=frozenset(), sites=frozenset({"east"})).empty is False
    assert Filter(numbers=frozenset()).empty is True
    assert Filter(numbers=frozenset(), sites=frozenset({""})).empty is True  # "" is "no site"
    assert Filter(customers=frozenset(), sites=frozenset({"east"})).empty is True


def test_can_see_checks_the_grain_site() -> None:
    visible = service.visibility(caller=DANA, numbers=DIRECTORY)

    def record(customer: str, number: str, site: str) -> CallRecord:
        return CallRecord(
            call_id="c",
            customer_id=customer,
            resellers=(),
            number=number,
            key=Key(customer, number, site, ""),
        )

    assert service.can_see(visible, record("globex", G1, "east")) is True
    assert service.can_see(visible, record("globex", G1, "west")) is False
    assert service.can_see(visible, record("globex", G1, "")) is False
    assert service.can_see(visible, record("initech", I1, "east")) is False  # another customer's east
    # the record's descriptive site does not count, only the grain's (first routed to)
    moved = record("globex", G1, "west")
    moved.site = "east"
    assert service.can_see(visible, moved) is False


async def test_site_scoped_user_sees_exactly_its_site(store: Db) -> None:
    h = await history(store, DANA)
    assert h.selection.label == "All your numbers"
    assert offered(h) == [(at(0), 2)]
    assert (h.total("offered"), h.total("answered"), h.total("busy"), h.total("talk_seconds")) == (
        2,
        1,
        1,
        60,
    )
    east = await history(store, DANA, "site:globex/east")
    assert (east.selection.label, offered(east)) == ("Site east", [(at(0), 2)])
    own = await history(store, DANA, "customer:globex")  # its own customer: still only east
    assert (own.selection.value, offered(own)) == ("customer:globex", [(at(0), 2)])
    for value in ("site:globex/west", f"number:{G1}", "site:initech/east", "customer:initech"):
        with pytest.raises(service.NotVisible) as caught:
            await history(store, DANA, value)
        assert (caught.value.status, caught.value.field) == (404, "select")
    assert [c.value for c in service.choices(caller=DANA, numbers=DIRECTORY)] == ["all", "site:globex/east"]

    assert await search(store, DANA) == ["e2", "e1"]
    assert await search(store, DANA, disposition="busy") == ["e2"]
    with pytest.raises(service.NotVisible) as number:
        await search(store, DANA, number=G1)  # a number is not in a site scope, even at the site
    assert (number.value.status, number.value.field) == (404, "number")

    assert (await get(store, DANA, "e1")).billable == 60
    assert (await get(store, DANA, "e2")).disposition == "busy"
    for call_id in ("w1", "w2", "n1", "x1", "h1"):
        with pytest.raises(service.NotVisible) as caught:
            await get(store, DANA, call_id)
        assert (caught.value.status, caught.value.detail) == (404, "no such call")

    assert await export(store, DANA) == [["e2", G2, "globex", "east"], ["e1", G1, "globex", "east"]]
    assert service.history_csv(h).splitlines()[1:] == [
        "2026-03-02T15:00:00Z,2,1,0,0,0,1,0,0,0,60,5000,2,2,0,0.5000,1.0000,60.0000,5.0000",
    ]


async def test_number_and_site_scope_sees_the_union(store: Db) -> None:
    h = await history(store, FRED)
    assert offered(h) == [(at(0), 2), (at(300), 2)]  # e1, e2 | w2, n1
    assert (h.total("offered"), h.total("answered"), h.total("busy"), h.total("blocked")) == (4, 1, 1, 1)
    g2 = await history(store, FRED, f"number:{G2}")
    assert offered(g2) == [(at(0), 1), (at(300), 2)]  # e2 | w2, n1: G2's calls only, not G1's at east
    west = await history(store, FRED, "site:globex/west")
    assert offered(west) == [(at(300), 1)]  # w2 (G2 at west); w1 is G1 at west, out of scope
    with pytest.raises(service.NotVisible):
        await history(store, FRED, f"number:{G1}")

    assert await search(store, FRED) == ["n1", "w2", "e2", "e1"]
    assert await search(store, FRED, number=G2) == ["n1", "w2", "e2"]
    with pytest.raises(service.NotVisible):
        await search(store, FRED, number=G1)
    assert [(await get(store, FRED, i)).call_id for i in ("e1", "e2", "w2", "n1")] == ["e1", "e2", "w2", "n1"]
    for call_id in ("w1", "x1", "h1"):
        with pytest.raises(service.NotVisible):
            await get(store, FRED, call_id)
    assert await export(store, FRED) == [
        ["n1", G2, "globex", ""],
        ["w2", G2, "globex", "west"],
        ["e2", G2, "globex", "east"],
        ["e1", G1, "globex", "east"],
    ]
    assert await export(store, FRED, CallQuery(number=G2)) == [
        ["n1", G2, "globex", ""],
        ["w2", G2, "globex", "west"],
        ["e2", G2, "globex", "east"],
    ]


async def test_a_site_name_never_reaches_another_customer(store: Db) -> None:
    # Initech also has an east: its user sees its own east, Globex's users never see it
    assert offered(await history(store, IVAN)) == [(at(0), 1)]
    assert await search(store, IVAN) == ["x1"]
    assert (await get(store, IVAN, "x1")).customer_id == "initech"
    for call_id in ("e1", "e2"):
        with pytest.raises(service.NotVisible):
            await get(store, IVAN, call_id)
    assert await export(store, IVAN) == [["x1", I1, "initech", "east"]]
    # a reseller's site scope stays inside its customers
    assert offered(await history(store, RITA)) == [(at(0), 1)]
    assert await search(store, RITA) == ["x1"]
    with pytest.raises(service.NotVisible):
        await get(store, RITA, "e1")
    # provider staff reach every customer, so `site:east` is every customer's east (as live)
    assert await search(store, ADMIN) == ["x1", "e2", "e1"]
    assert offered(await history(store, ADMIN)) == [(at(0), 3)]


async def test_unscoped_users_are_unchanged(store: Db) -> None:
    h = await history(store, ALICE)
    assert offered(h) == [(at(0), 3), (at(300), 2)]
    assert (h.total("offered"), h.total("busy"), h.total("blocked")) == (5, 2, 1)
    assert await search(store, ALICE) == ["n1", "w2", "w1", "e2", "e1"]
    assert await search(store, ALICE, number=G1) == ["w1", "e1"]
    everyone = user("root", "provider", "switchboard", None)
    assert await search(store, everyone) == ["h1", "n1", "w2", "x1", "w1", "e2", "e1"]
    assert offered(await history(store, everyone)) == [(at(0), 4), (at(300), 3)]
