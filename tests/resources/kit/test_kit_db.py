"""resources.kit.db on SQLite (always) and PostgreSQL (integration)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import JSON, Boolean, Integer, String, bindparam, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit import db
from resources.kit.db import (
    UTCDateTime,
    WriteQueueTimeout,
    create_engine,
    create_sessionmaker,
    quote_schema,
    reader_of,
    unit_of_work,
)
from resources.kit.sqlite_inline import get_by_key, inline_statements, select_rows

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


class _Typed(_Base):
    __tablename__ = "kitdb_typed"
    id: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[list[str] | None] = mapped_column(JSON)
    flag: Mapped[bool] = mapped_column(Boolean)
    count: Mapped[int] = mapped_column(Integer)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())


_TYPED = (
    select(_Typed.id, _Typed.scope, _Typed.flag, _Typed.count, _Typed.until)
    .where(_Typed.until.is_(None) | (_Typed.until > bindparam("after")))
    .order_by(_Typed.id)
)


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


async def test_inline_statements_answer_what_the_session_answers(sqlite_engine: AsyncEngine) -> None:
    maker = create_sessionmaker(sqlite_engine)
    cet = timezone(timedelta(hours=1))
    async with unit_of_work(maker, write=True) as session:
        session.add_all([
            _Typed(id="a", scope=["+18005550100", "x"], flag=True, count=3, until=None),
            _Typed(id="b", scope=None, flag=False, count=-1, until=datetime(2026, 5, 1, 12, tzinfo=cet)),
            _Typed(id="c", scope=[], flag=True, count=0, until=datetime(2026, 1, 1, tzinfo=UTC)),
        ])  # fmt: skip
    params = {"after": datetime(2026, 3, 1, tzinfo=UTC)}
    async with unit_of_work(maker, write=True) as session:
        assert inline_statements(session) is None  # a write transaction: through the session
        through_session = await select_rows(session, _TYPED, params)
    async with unit_of_work(maker, write=False) as session:
        inline = await select_rows(session, _TYPED, params)
        again = await select_rows(session, _TYPED, params)  # compiled once, reused
        assert not session.in_transaction()  # never took a pooled connection
    expected = [
        ("a", ["+18005550100", "x"], True, 3, None),
        ("b", None, False, -1, datetime(2026, 5, 1, 11, tzinfo=UTC)),
    ]
    assert through_session == inline == again == expected
    assert inline[1][4].tzinfo is UTC


async def test_get_by_key_reads_a_transient_copy_inline(sqlite_engine: AsyncEngine) -> None:
    maker = create_sessionmaker(sqlite_engine)
    at = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    async with unit_of_work(maker, write=True) as session:
        session.add(_Thing(id="k1", at=at))
    async with unit_of_work(maker, write=True) as session:
        tracked = await get_by_key(session, _Thing, "k1")
        assert tracked is not None
        assert tracked in session  # a write transaction gets the session's own object
    async with unit_of_work(maker, write=False) as session:
        copy = await get_by_key(session, _Thing, "k1")
        assert await get_by_key(session, _Thing, "nope") is None
        assert copy is not None
        assert copy not in session
        assert not session.in_transaction()
    assert inspect(copy).transient  # built like the ORM's loader builds one, never tracked
    assert (copy.id, copy.at) == ("k1", at)


async def test_writers_of_one_process_take_turns_in_arrival_order(sqlite_engine: AsyncEngine) -> None:
    maker = create_sessionmaker(sqlite_engine)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    order: list[int] = []

    async def writer(n: int) -> None:
        async with unit_of_work(maker, write=True) as session:
            order.append(n)
            taken = len((await session.execute(select(_Thing.id))).all())
            await asyncio.sleep(0.001)  # hold the write slot across a loop turn
            session.add(_Thing(id=f"t{taken:03d}", at=at))

    await asyncio.gather(*(writer(n) for n in range(60)))
    async with unit_of_work(maker, write=False) as session:
        ids = (await session.execute(select(_Thing.id).order_by(_Thing.id))).scalars().all()
    assert order == list(range(60))
    assert ids == [f"t{n:03d}" for n in range(60)]  # every read-then-write saw the one before it


async def test_a_writer_that_cannot_get_its_turn_fails_clearly(
    sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "WRITE_QUEUE_TIMEOUT", 0.05)
    maker = create_sessionmaker(sqlite_engine)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    release = asyncio.Event()

    async def holder() -> None:
        async with unit_of_work(maker, write=True) as session:
            session.add(_Thing(id="first", at=at))
            await release.wait()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0.01)
    with pytest.raises(WriteQueueTimeout, match=r"^no write slot within 0\.05 s$"):
        async with unit_of_work(maker, write=True) as session:
            session.add(_Thing(id="second", at=at))
    release.set()
    await held
    async with unit_of_work(maker, write=False) as session:
        assert (await session.execute(select(_Thing.id))).scalars().all() == ["first"]


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
