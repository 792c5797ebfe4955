"""The events alembic tree: head matches the models exactly on SQLite and on PostgreSQL (its own
schema), downgrade removes everything; and on PostgreSQL two concurrent raises of one key make one
alarm (the partial unique index, the loser re-reads and updates) with log rows in commit order."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from events_support import Clock, RecordingBus, condition, make_context
from migration_checks import state
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection

from resources.events import engine as alarm_engine
from resources.events.context import Context, transaction
from resources.events.models import AlarmRow, Base, LogRow
from resources.kit.db import create_engine
from resources.kit.migrate import CONNECTION, alembic_config, upgrade

TREE = Path(__file__).resolve().parents[3] / "resources" / "events" / "migrations"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TABLES = [
    "events_alarms",
    "events_alembic_version",
    "events_audit",
    "events_deliveries",
    "events_log",
    "events_outbox_mail",
    "events_subscriptions",
    "events_thresholds",
]
HEAD = "0002"


_check = functools.partial(state, part="events", metadata=Base.metadata)


def _indexes(sync: Connection, schema: str | None) -> dict[str, bool]:
    if schema is not None:
        sync.exec_driver_sql(f'SET search_path TO "{schema}"')
    return {i["name"]: bool(i["unique"]) for i in inspect(sync).get_indexes("events_alarms")}


EXPECTED_INDEXES = {
    "ix_events_alarms_clearing": False,
    "ix_events_alarms_customer_raised": False,
    "ix_events_alarms_key_cleared": False,
    "ix_events_alarms_open_key": True,
}


async def test_sqlite_upgrade_matches_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_check, None) == (TABLES, [], HEAD)
            assert await conn.run_sync(_indexes, None) == EXPECTED_INDEXES

            def down(sync: Connection) -> list[str]:
                cfg = alembic_config(migrations_dir=TREE, part="events", schema=None)
                cfg.attributes[CONNECTION] = sync
                command.downgrade(cfg, "base")
                return sorted(inspect(sync).get_table_names())

            assert await conn.run_sync(down) == ["events_alembic_version"]
            await conn.commit()
    finally:
        await engine.dispose()


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    schema = f"events_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url=PG_URL, schema=schema)
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        yield schema
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


async def test_postgresql_upgrade_matches_models(pg_schema: str) -> None:
    engine = create_engine(url=PG_URL, schema=pg_schema)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_check, pg_schema) == (TABLES, [], HEAD)
            assert await conn.run_sync(_indexes, pg_schema) == EXPECTED_INDEXES
    finally:
        await engine.dispose()


async def test_postgresql_concurrent_raises_of_one_key_make_one_alarm(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = RecordingBus()
    ctx, engine = make_context(PG_URL, bus, Clock(), schema=pg_schema)
    both_read = asyncio.Event()
    readers = 0
    real = alarm_engine.repo.open_alarm

    async def meet(session: Any, **key: Any) -> Any:
        """Both transactions read "no open alarm" before either inserts (the race)."""
        nonlocal readers
        found = await real(session, **key)
        readers += 1
        if readers == 2:
            both_read.set()
        if readers <= 2:
            await asyncio.wait_for(both_read.wait(), 5)
        return found

    async def observe(ctx: Context, severity: str) -> str:
        async with transaction(ctx, write=True) as tx:
            row = await alarm_engine.observe(tx, condition(severity=severity))
            assert row is not None
            return row.id

    monkeypatch.setattr(alarm_engine.repo, "open_alarm", meet)
    try:
        a, b = await asyncio.gather(observe(ctx, "major"), observe(ctx, "critical"))
        assert a == b
        async with transaction(ctx, write=False) as tx:
            alarms = list((await tx.session.execute(select(AlarmRow))).scalars())
            log = list((await tx.session.execute(select(LogRow).order_by(LogRow.seq))).scalars())
        assert [(x.id, x.occurrences, x.version) for x in alarms] == [(a, 2, 2)]
        assert [r.kind for r in log] == ["raised", "updated"]
        assert [p["kind"] for p in bus.topic("events.alarm")] == ["raised", "updated"]
        assert [p["seq"] for p in bus.topic("events.alarm")] == [r.seq for r in log]
    finally:
        await engine.dispose()
