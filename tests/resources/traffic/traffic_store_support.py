"""The store helper's test support: migrated SQLite databases (temp files) and PostgreSQL schemas
(the test server at 127.0.0.1:5432, db `test`, one schema per test, dropped after), a numbers
directory, CallEvent builders, a recording bus and readers of what the tables hold."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from resources.kit.db import create_engine, create_sessionmaker, unit_of_work
from resources.kit.events import Event, InProcessBus
from resources.kit.migrate import upgrade
from resources.traffic.model import FIELDS, CallEvent, CallRecord, NumberInfo, SiteInfo
from resources.traffic.models import bucket_table
from resources.traffic.numbers import NumberDirectory
from resources.traffic.settings import TrafficSettings
from resources.traffic.store import record_row, row_record

TREE = Path(__file__).resolve().parents[3] / "resources" / "traffic" / "migrations"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
T0 = 1_772_463_600.0  # 2026-03-02 15:00:00 UTC, a bucket boundary
GLOBEX_1 = "+18005550100"
GLOBEX_2 = "+18005550101"
INITECH = "+18665550104"
NUMBERS = (
    NumberInfo(number=GLOBEX_1, customer_id="globex"),
    NumberInfo(number=GLOBEX_2, customer_id="globex"),
    NumberInfo(number=INITECH, customer_id="initech", resellers=("acme",)),
)
SITES = (
    SiteInfo(customer_id="globex", name="east", uri="sip:10.1.1.1:5060"),
    SiteInfo(customer_id="globex", name="west", uri="sip:10.1.1.2:5060"),
)


def directory() -> NumberDirectory:
    return NumberDirectory(NUMBERS, SITES)


def ev(call_id: str, kind: Any, ts: float, *, number: str = GLOBEX_1, **kw: Any) -> CallEvent:
    return CallEvent(
        call_id=call_id, kind=kind, ts=ts, element=kw.pop("element", "kam1"), number=number, **kw
    )


def full_call(call_id: str, t: float, *, number: str = GLOBEX_1, site: str = "east") -> list[CallEvent]:
    """routed at t, answered at t + 5, ended at t + 65 (60 s talk, tta 5000 ms)."""
    return [
        ev(call_id, "routed", t, number=number, site=site, destination=f"site:{site}"),
        ev(call_id, "answered", t + 5, number=number),
        ev(call_id, "ended", t + 65, number=number, start=t, answer=t + 5, end=t + 65, sip_code=200),
    ]


@dataclass
class RecordingBus(InProcessBus):
    published: list[Event] = field(default_factory=list)
    fail: bool = False

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("bus down")
        self.published.append(Event(topic, payload))
        await super().publish(topic, payload)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'traffic.db'}"


def settings_for(tmp_path: Path, bus: InProcessBus, *, url: str | None = None, **kw: Any) -> TrafficSettings:
    return TrafficSettings(
        name="traffic",
        data_dir=tmp_path,
        database_url=url or sqlite_url(tmp_path),
        db_schema=kw.pop("db_schema", None),
        jwks_path=tmp_path / "jwks.json",
        bus=bus,
        **kw,
    )


@dataclass
class Db:
    url: str
    schema: str | None
    engine: AsyncEngine
    maker: async_sessionmaker[AsyncSession]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Db]:
    """A migrated SQLite database in a temp file."""
    url = sqlite_url(tmp_path)
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    try:
        yield Db(url=url, schema=None, engine=engine, maker=create_sessionmaker(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def pg() -> AsyncIterator[Db]:
    """A migrated, fresh PostgreSQL schema (integration: needs the test server), dropped after."""
    schema = f"traffic_{uuid.uuid4().hex[:10]}"
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        engine = create_engine(url=PG_URL, schema=schema)
        try:
            yield Db(url=PG_URL, schema=schema, engine=engine, maker=create_sessionmaker(engine))
        finally:
            await engine.dispose()
    finally:
        engine = create_engine(url=PG_URL, schema=None)
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await engine.dispose()


async def bucket_rows(maker: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    """Every bucket row: start as epoch, key, the non-zero counters and the peak."""
    out: list[dict[str, Any]] = []
    async with unit_of_work(maker, write=False) as session:
        rows = (await session.execute(select(bucket_table))).mappings().all()
    for row in rows:
        counters = {name: row[name] for name in FIELDS if row[name]}
        out.append(
            {
                "start": row["start"].timestamp(),
                "key": (row["customer_id"], row["number"], row["site"], row["carrier"]),
                "counters": counters,
                "peak": row["peak_concurrent"],
            }
        )
    return sorted(out, key=lambda r: (r["start"], r["key"]))


async def totals(maker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Every counter summed over all buckets (non-zero ones)."""
    sums = dict.fromkeys(FIELDS, 0)
    for row in await bucket_rows(maker):
        for name, value in row["counters"].items():
            sums[name] += value
    return {k: v for k, v in sums.items() if v}


async def call_records(maker: async_sessionmaker[AsyncSession]) -> dict[str, CallRecord]:
    from resources.traffic.models import call_table

    async with unit_of_work(maker, write=False) as session:
        rows = (await session.execute(select(call_table))).mappings().all()
    return {row["call_id"]: row_record(row) for row in rows}


def same_record(a: CallRecord, b: CallRecord) -> bool:
    return record_row(a) == record_row(b)


def ids(events: Sequence[CallEvent]) -> list[str]:
    return sorted({e.call_id for e in events})
