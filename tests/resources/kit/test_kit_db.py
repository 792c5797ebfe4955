"""resources.kit.db on SQLite (always) and PostgreSQL (integration)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import (
    UTCDateTime,
    create_engine,
    create_sessionmaker,
    quote_schema,
    reader_of,
    unit_of_work,
)

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class _Base(DeclarativeBase):
    pass


async def _add_then_fail(maker: async_sessionmaker[AsyncSession], at: datetime) -> None:
    async with unit_of_work(maker, write=True) as session:
        session.add(_Thing(id="lost", at=at))
        await session.flush()
        raise RuntimeError("boom")


class _Thing(_Base):
    __tablename__ = "kitdb_things"
    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url=f"sqlite+aiosqlite:///{tmp_path / 'kit.db'}", schema=None)
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    yield engine
    await engine.dispose()


async def test_sqlite_pragmas(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
        assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000


async def test_sqlite_begin_statements(sqlite_engine: AsyncEngine) -> None:
    """Writes BEGIN IMMEDIATE on the aiosqlite engine; reads go to the inline reader: no BEGIN."""
    from sqlalchemy import event

    reader = reader_of(sqlite_engine)
    assert reader is not None
    seen: list[tuple[str, str]] = []

    def log_on(name: str, engine: AsyncEngine) -> None:
        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def _log(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
            seen.append((name, statement))

    log_on("writer", sqlite_engine)
    log_on("reader", reader)
    maker = create_sessionmaker(sqlite_engine)
    async with unit_of_work(maker, write=False) as session:
        await session.execute(text("SELECT 1"))
    async with unit_of_work(maker, write=True) as session:
        await session.execute(text("SELECT 2"))
    assert [(n, s) for n, s in seen if s.startswith(("BEGIN", "SELECT"))] == [
        ("reader", "SELECT 1"),
        ("writer", "BEGIN IMMEDIATE"),
        ("writer", "SELECT 2"),
    ]


async def test_sqlite_reads_cannot_write(sqlite_engine: AsyncEngine) -> None:
    maker = create_sessionmaker(sqlite_engine)

    async def sneak() -> None:
        async with unit_of_work(maker, write=False) as session:
            session.add(_Thing(id="sneaky", at=datetime(2026, 1, 1, tzinfo=UTC)))
            await session.flush()

    with pytest.raises(OperationalError, match="attempt to write a readonly database"):
        await sneak()
    async with unit_of_work(maker, write=False) as session:
        assert (await session.execute(select(_Thing.id))).all() == []


async def test_sqlite_reader_sees_committed_writes_and_runs_inline(sqlite_engine: AsyncEngine) -> None:
    """A read after a commit sees it, and a read never yields to the event loop (no thread hop)."""
    import asyncio

    maker = create_sessionmaker(sqlite_engine)
    async with unit_of_work(maker, write=True) as session:
        session.add(_Thing(id="one", at=datetime(2026, 1, 1, tzinfo=UTC)))
    async with unit_of_work(maker, write=False) as session:
        await session.execute(select(_Thing.id))  # pool warm: the connection is open
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    async with unit_of_work(maker, write=False) as session:
        ids = list((await session.execute(select(_Thing.id))).scalars())
    during = ticks - before
    task.cancel()
    assert ids == ["one"]
    assert during == 0


async def test_reader_disposed_with_engine(tmp_path: Path) -> None:
    engine = create_engine(url=f"sqlite+aiosqlite:///{tmp_path / 'r.db'}", schema=None)
    maker = create_sessionmaker(engine)
    async with unit_of_work(maker, write=False) as session:
        await session.execute(text("SELECT 1"))
    reader = reader_of(engine)
    assert reader is not None
    assert reader.sync_engine.pool.checkedin() == 1
    await engine.dispose()
    assert reader.sync_engine.pool.checkedin() == 0


def test_no_reader_for_memory_databases() -> None:
    assert reader_of(create_engine(url="sqlite+aiosqlite:///:memory:", schema=None)) is None


async def test_unit_of_work_commits_and_rolls_back(sqlite_engine: AsyncEngine) -> None:
    maker = create_sessionmaker(sqlite_engine)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    async with unit_of_work(maker, write=True) as session:
        session.add(_Thing(id="kept", at=at))
    with pytest.raises(RuntimeError, match="boom"):
        await _add_then_fail(maker, at)
    async with unit_of_work(maker, write=False) as session:
        rows = (await session.execute(select(_Thing.id, _Thing.at))).all()
    assert [(r.id, r.at) for r in rows] == [("kept", datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC))]
    assert rows[0].at.tzinfo is UTC


async def test_naive_datetime_refused(sqlite_engine: AsyncEngine) -> None:
    maker = create_sessionmaker(sqlite_engine)
    with pytest.raises(Exception, match="naive datetime"):
        async with unit_of_work(maker, write=True) as session:
            session.add(_Thing(id="naive", at=datetime(2026, 1, 1)))


def test_quote_schema() -> None:
    assert quote_schema("directory") == '"directory"'
    for bad in ("", "Directory", 'x"; drop', "1abc", "a-b"):
        with pytest.raises(ValueError, match="schema name"):
            quote_schema(bad)


@pytest.mark.integration
async def test_postgres_schema_translate_and_rollback() -> None:
    schema = f"kitdb_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url=PG_URL, schema=schema)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_Base.metadata.create_all)
            where = await conn.execute(
                text("SELECT table_schema FROM information_schema.tables WHERE table_name = 'kitdb_things'")
            )
            assert [r[0] for r in where] == [schema]
        maker = create_sessionmaker(engine)
        at = datetime(2026, 1, 2, tzinfo=UTC)
        async with unit_of_work(maker, write=True) as session:
            session.add(_Thing(id="kept", at=at))
        with pytest.raises(RuntimeError, match="boom"):
            await _add_then_fail(maker, at)
        async with unit_of_work(maker, write=False) as session:
            assert (await session.execute(select(_Thing.id, _Thing.at))).all() == [("kept", at)]
    finally:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await engine.dispose()
