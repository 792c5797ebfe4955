"""Shared fixtures: a migrated SQLite toll-free store (temp file), a settable clock, a recording
bus, the demo callers (as principals, so API tests can sign real assertions for them) and the
demo catalog."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from assertion_fakes import caller_for

from resources.kit.caller import Caller, Entitlement, Principal
from resources.kit.db import create_engine, create_sessionmaker
from resources.kit.events import Event, InProcessBus
from resources.kit.migrate import upgrade
from resources.tollfree.context import Context, Tx, compile_settings, transaction
from resources.tollfree.demo import load_demo
from resources.tollfree.manifest import EDIT_ROUTING, MANAGE_NUMBERS, VIEW, VIEW_AUDIT
from resources.tollfree.scp import ScpStore
from resources.tollfree.settings import TollfreeSettings

TREE = Path(__file__).resolve().parents[3] / "resources" / "tollfree" / "migrations"
# Monday 2026-03-02 15:00 UTC = 10:00 in New York (EST), 09:00 in Chicago.
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BOB_NUMBERS = ("+18005550100", "+18005550101")
GLOBEX = ("+18005550100", "+18005550101", "+18885550102")
INITECH = ("+18665550104", "+18775550103")


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def ts(self) -> float:
        return self.now.timestamp()

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class RecordingBus(InProcessBus):
    published: list[Event] = field(default_factory=list)

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        self.published.append(Event(topic, payload))
        await super().publish(topic, payload)


def _principal(
    user_id: str,
    username: str,
    kind: Any,
    org_id: str,
    customer_id: str | None,
    chain: tuple[str, ...],
    ents: tuple[Entitlement, ...],
) -> Principal:
    return Principal(
        user_id=user_id,
        username=username,
        display_name=username,
        kind=kind,
        org_id=org_id,
        customer_id=customer_id,
        reseller_chain=chain,
        brand="default",
        entitlements=ents,
    )


ALL = (
    Entitlement(action=VIEW),
    Entitlement(action=EDIT_ROUTING),
    Entitlement(action=MANAGE_NUMBERS),
    Entitlement(action=VIEW_AUDIT),
)
CUSTOMER_ADMIN = (Entitlement(action=VIEW), Entitlement(action=EDIT_ROUTING), Entitlement(action=VIEW_AUDIT))
PRINCIPALS = {
    "admin": _principal("u-admin", "admin", "provider", "switchboard", None, (), ALL),
    "rita@acme": _principal("u-rita", "rita@acme", "reseller", "acme", None, (), ALL),
    "alice@globex": _principal("u-alice", "alice@globex", "customer", "globex", "globex", (), CUSTOMER_ADMIN),
    "bob@globex": _principal(
        "u-bob",
        "bob@globex",
        "customer",
        "globex",
        "globex",
        (),
        (Entitlement(action=VIEW, scope=BOB_NUMBERS), Entitlement(action=EDIT_ROUTING, scope=BOB_NUMBERS)),
    ),
    "carol@initech": _principal(
        "u-carol", "carol@initech", "customer", "initech", "initech", ("acme",), CUSTOMER_ADMIN
    ),
}


def caller(username: str, *, session: str | None = "sess-1") -> Caller:
    return caller_for(PRINCIPALS[username], "tollfree", session=session)


def settings_for(tmp_path: Path, bus: InProcessBus, **kw: Any) -> TollfreeSettings:
    return TollfreeSettings(
        name="tollfree",
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'tollfree.db'}",
        db_schema=None,
        jwks_path=tmp_path / "jwks.json",
        bus=bus,
        pstn_uri="sip:{number}@pstn.example",
        **kw,
    )


@dataclass
class Env:
    ctx: Context
    clock: Clock
    bus: RecordingBus

    def tx(self, *, write: bool = True) -> Any:
        return transaction(self.ctx, write=write)

    def topics(self) -> list[tuple[str, dict[str, Any]]]:
        return [(e.topic, e.payload) for e in self.bus.published]


async def make_env(
    tmp_path: Path, *, seed: Path | None = None, url: str | None = None, schema: str | None = None
) -> AsyncIterator[Env]:
    """`seed`: a database file to start from (copied), else a fresh migration (of `url` +
    `schema` when given: PostgreSQL)."""
    bus = RecordingBus()
    settings = settings_for(tmp_path, bus)
    if url is not None:
        settings = dataclasses.replace(settings, database_url=url, db_schema=schema)
    if seed is not None:
        shutil.copyfile(seed, tmp_path / "tollfree.db")
    else:
        await upgrade(migrations_dir=TREE, url=settings.database_url, schema=schema)
    engine = create_engine(url=settings.database_url, schema=schema)
    clock = Clock()
    scp = ScpStore(settings=compile_settings(settings), clock=clock.ts)
    ctx = Context.build(settings=settings, maker=create_sessionmaker(engine), clock=clock, scp=scp)
    try:
        yield Env(ctx=ctx, clock=clock, bus=bus)
    finally:
        await engine.dispose()


async def _build_seeds(root: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for name in ("empty", "demo"):
        folder = root / name
        folder.mkdir()
        async for e in make_env(folder):
            if name == "demo":
                await load_demo(ctx=e.ctx)
        out[name] = folder / "tollfree.db"
    return out


@pytest.fixture(scope="session")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrated databases built once per run (the demo at START); each test copies one."""
    return asyncio.run(_build_seeds(tmp_path_factory.mktemp("tollfree-seeds")))


@pytest.fixture
async def env(tmp_path: Path, seeds: dict[str, Path]) -> AsyncIterator[Env]:
    """An empty, migrated store."""
    async for e in make_env(tmp_path, seed=seeds["empty"]):
        yield e


@pytest.fixture
async def demo(tmp_path: Path, seeds: dict[str, Path]) -> AsyncIterator[Env]:
    """The store with the demo data loaded at START (nothing published yet)."""
    async for e in make_env(tmp_path, seed=seeds["demo"]):
        yield e


PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@pytest.fixture
async def pg_demo(tmp_path: Path) -> AsyncIterator[Env]:
    """The demo in a fresh PostgreSQL schema (integration: needs the test server), dropped after."""
    schema = f"tollfree_{uuid.uuid4().hex[:10]}"
    try:
        async for e in make_env(tmp_path, url=PG_URL, schema=schema):
            await load_demo(ctx=e.ctx)
            e.bus.published.clear()
            yield e
    finally:
        engine = create_engine(url=PG_URL, schema=None)
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await engine.dispose()


__all__ = [
    "BOB_NUMBERS",
    "GLOBEX",
    "INITECH",
    "PRINCIPALS",
    "START",
    "Clock",
    "Env",
    "Tx",
    "caller",
    "demo",
    "env",
]
