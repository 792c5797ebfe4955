"""The web helper's test support: a migrated SQLite store (temp file, the store helper's `db`
fixture) filled through the real write side (`store.apply_batch`), the demo-like callers, and the
calls the tests count on.

The calls (T0 = 2026-03-02 15:00:00 UTC, a bucket boundary; +18005550100 = G1 and
+18005550101 = G2 are Globex's, +18665550104 = I1 is Initech's, under reseller Acme):
* g5  G2, seized T0+5, still open (no site)
* g1  G1 site east, seized T0+10, answered T0+15, ended T0+75: 60 s talk, 5 s to answer
* g2  G1 site west, seized T0+20, 486 at T0+30: busy
* i1  I1 site hq, seized T0+50, answered T0+55, ended T0+115
* g3  G2, blocked by the plan at T0+400
* g4  G1 site east, seized T0+600, still open
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from traffic_store_support import Db

from resources.kit.caller import Caller, Entitlement, Kind
from resources.kit.db import unit_of_work
from resources.kit.events import InProcessBus
from resources.traffic.calls import summary
from resources.traffic.context import Context
from resources.traffic.manifest import INGEST_STATUS, VIEW
from resources.traffic.model import CallEvent, NumberInfo, SiteInfo
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings
from resources.traffic.store import BatchResult, apply_batch

T0 = 1_772_463_600.0  # 2026-03-02 15:00:00 UTC
DAY = "2026-03-02"
G1, G2, I1 = "+18005550100", "+18005550101", "+18665550104"
NUMBERS = (
    NumberInfo(number=G1, customer_id="globex"),
    NumberInfo(number=G2, customer_id="globex"),
    NumberInfo(number=I1, customer_id="initech", resellers=("acme",)),
)
SITES = (
    SiteInfo(customer_id="globex", name="east", uri="sip:10.1.1.1:5060"),
    SiteInfo(customer_id="globex", name="west", uri="sip:10.1.1.2:5060"),
    SiteInfo(customer_id="initech", name="hq", uri="sip:10.2.1.1:5060"),
)


def directory() -> NumberDirectory:
    return NumberDirectory(NUMBERS, SITES)


def ev(call_id: str, kind: Any, at: float, number: str, **kw: Any) -> CallEvent:
    """An event `at` seconds after T0 (start/answer/end in `kw` are offsets too)."""
    for name in ("start", "answer", "end"):
        if kw.get(name) is not None:
            kw[name] = T0 + kw[name]
    return CallEvent(call_id=call_id, kind=kind, ts=T0 + at, element="kam1", number=number, **kw)


EVENTS = [
    ev("g5", "routed", 5, G2, ani="+13125550199"),
    ev("g1", "routed", 10, G1, site="east", destination="site:east", ani="+13125550101", version=1,
       path=("M", "M.0")),
    ev("g1", "answered", 15, G1),
    ev("g1", "ended", 75, G1, start=10, answer=15, end=75, sip_code=200),
    ev("g2", "routed", 20, G1, site="west", destination="site:west"),
    ev("g2", "failed", 30, G1, start=20, end=30, sip_code=486),
    ev("i1", "routed", 50, I1, site="hq", destination="site:hq"),
    ev("i1", "answered", 55, I1),
    ev("i1", "ended", 115, I1, start=50, answer=55, end=115, sip_code=200),
    ev("g3", "failed", 400, G2, start=400, end=400, block="plan", reason="=HYPERLINK(evil)"),
    ev("g4", "routed", 600, G1, site="east", destination="site:east"),
]  # fmt: skip


async def seed(maker: Any, events: list[CallEvent] | None = None) -> BatchResult:
    async with unit_of_work(maker, write=True) as session:
        return await apply_batch(session, EVENTS if events is None else events, directory(), now=T0 + 620)


def summaries(result: BatchResult) -> list[dict[str, Any]]:
    return [summary(r) for r in result.calls]


def _caller(
    username: str, kind: Kind, org: str, customer: str | None, ents: tuple[Entitlement, ...]
) -> Caller:
    return Caller(
        subject=f"u-{username.split('@')[0]}",
        username=username,
        kind=kind,
        plane="customer",
        org_id=org,
        customer_id=customer,
        reseller_chain=("acme",) if org in ("initech",) else (),
        brand="default",
        entitlements=ents,
        session="sess-1",
        request_id="req-1",
        jti="jti-1",
    )


CALLERS = {
    "admin": _caller("admin", "provider", "switchboard", None, (Entitlement(action=VIEW),
                     Entitlement(action=INGEST_STATUS))),
    "rita@acme": _caller("rita@acme", "reseller", "acme", None, (Entitlement(action=VIEW),)),
    "alice@globex": _caller("alice@globex", "customer", "globex", "globex", (Entitlement(action=VIEW),)),
    "bob@globex": _caller("bob@globex", "customer", "globex", "globex",
                          (Entitlement(action=VIEW, scope=(G1,)),)),
    "carol@initech": _caller("carol@initech", "customer", "initech", "initech", (Entitlement(action=VIEW),)),
    "eve@globex": _caller("eve@globex", "customer", "globex", "globex", ()),
}  # fmt: skip


def caller(username: str) -> Caller:
    return CALLERS[username]


@dataclass
class Clock:
    now: float = T0 + 620

    def __call__(self) -> float:
        return self.now


def settings_for(tmp_path: Path, url: str) -> TrafficSettings:
    return TrafficSettings(
        name="traffic",
        data_dir=tmp_path,
        database_url=url,
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=InProcessBus(),
    )


@dataclass
class Web:
    ctx: Context
    clock: Clock
    result: BatchResult


@pytest.fixture
async def web(db: Db, tmp_path: Path) -> Web:
    """A Context on the seeded store: the directory filled, the live state fed with the batch."""
    clock = Clock()
    ctx = Context.build(settings=settings_for(tmp_path, db.url), maker=db.maker, clock=clock)
    ctx.numbers.replace(NUMBERS, SITES)
    result = await seed(db.maker)
    ctx.live.apply(result.contributions, summaries(result), stamp_ms=int(clock.now * 1000))
    return Web(ctx=ctx, clock=clock, result=result)
