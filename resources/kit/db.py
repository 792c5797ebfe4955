"""Database engine and sessions shared by every part (DESIGN.md §4, §7).

SQLite (one file per part): WAL, foreign keys, a busy timeout, and transactions SQLAlchemy
begins itself: the driver runs with `isolation_level=None` and the "begin" hook emits `BEGIN`
(reads) or `BEGIN IMMEDIATE` (writes: execution option `sqlite_immediate=True`), so savepoints
and rollbacks behave and writers queue on the lock instead of failing mid-transaction. Within
one process, writers take turns on an asyncio lock per engine before they BEGIN IMMEDIATE.

Reads on a SQLite file skip aiosqlite's thread: `unit_of_work(write=False)` runs on a reader
engine that calls sqlite3 on the event loop thread, autocommit and `query_only`
(resources/kit/sqlite_inline.py); the reader is disposed with its engine.

PostgreSQL (one schema per part): models carry no schema; `schema_translate_map {None: schema}`
puts every table in the part's schema, which is created on the engine's first connection.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from resources.kit.sqlite_inline import create_reader_engine

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000")
IMMEDIATE = "sqlite_immediate"
WRITE_QUEUE_TIMEOUT = 10.0  # seconds a writer waits for its turn in this process
# a SQLite file engine -> its inline reader engine (kept as long as the engine lives)
_READERS: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()
# a SQLite engine -> the queue its writers take turns in (SQLite has one writer at a time)
_WRITERS: weakref.WeakKeyDictionary[AsyncEngine, asyncio.Lock] = weakref.WeakKeyDictionary()


class WriteQueueTimeout(Exception):
    """A writer waited longer than WRITE_QUEUE_TIMEOUT for the database's one write slot."""


def quote_schema(schema: str) -> str:
    """A schema name is configuration, never user input; still refuse anything but [a-z0-9_]."""
    if not schema or not all(c.islower() or c.isdigit() or c == "_" for c in schema) or schema[0].isdigit():
        raise ValueError(f"schema name must match [a-z_][a-z0-9_]*, got {schema!r}")
    return f'"{schema}"'


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(*, url: str, schema: str | None) -> AsyncEngine:
    if is_sqlite(url):
        return _sqlite_engine(url)
    if schema is None:
        return create_async_engine(url, pool_pre_ping=True)
    quoted = quote_schema(schema)
    engine = create_async_engine(
        url, pool_pre_ping=True, execution_options={"schema_translate_map": {None: schema}}
    )

    @event.listens_for(engine.sync_engine, "first_connect")
    def _create_schema(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
        finally:
            cursor.close()
        dbapi_connection.commit()

    return engine


def _sqlite_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see "begin" below)
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    _WRITERS[engine] = asyncio.Lock()
    reader = create_reader_engine(url)
    if reader is not None:
        _READERS[engine] = reader

        @event.listens_for(engine.sync_engine, "engine_disposed")
        def _dispose_reader(_engine: Any) -> None:
            reader.sync_engine.dispose()  # inside AsyncEngine.dispose()'s greenlet

    return engine


def reader_of(engine: AsyncEngine) -> AsyncEngine | None:
    """The inline read-only engine beside a SQLite file engine (None for others)."""
    return _READERS.get(engine)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def open_engine(
    *, url: str, schema: str | None
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """Engine + session maker for a lifespan or a CLI command; the engine is disposed on exit."""
    engine = create_engine(url=url, schema=schema)
    try:
        yield engine, create_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def unit_of_work(
    maker: async_sessionmaker[AsyncSession], *, write: bool
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit when the block succeeds, roll back when it raises.

    `write=True` takes SQLite's write lock up front (BEGIN IMMEDIATE), so a read-then-write
    block cannot fail with "database is locked" halfway; PostgreSQL ignores the option.
    `write=False` on a SQLite file reads through the inline reader: no BEGIN, no thread hop,
    and no write possible (query_only)."""
    bind = maker.kw.get("bind")
    engine = bind if isinstance(bind, AsyncEngine) else None
    if not write:
        reader = reader_of(engine) if engine is not None else None
        if reader is not None:
            # not `async with`: AsyncSession.__aexit__ closes in a new task (one loop hop);
            # closing a reader session never suspends, so a cancellation cannot interrupt it
            # nothing to commit (autocommit, query_only): closing hands the connection back; a
            # block that read only inline (sqlite_inline.select_rows) never took one
            session = maker(bind=reader)
            try:
                yield session
            finally:
                if session.in_transaction() or session.identity_map:
                    await session.close()
            return
    gate = _WRITERS.get(engine) if write and engine is not None else None
    if gate is not None:
        # this process's writers queue here, first come first served, instead of in SQLite's
        # busy handler (which sleeps and retries: under a burst of writes some waited out the
        # busy timeout and failed with "database is locked"); the busy timeout still guards
        # against writers in other processes (CLI, a second portal)
        try:
            async with asyncio.timeout(WRITE_QUEUE_TIMEOUT):
                await gate.acquire()
        except TimeoutError:
            raise WriteQueueTimeout(f"no write slot within {WRITE_QUEUE_TIMEOUT:g} s") from None
    try:
        async with maker() as session:
            await session.connection(execution_options={IMMEDIATE: True} if write else None)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
    finally:
        if gate is not None:
            gate.release()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite returns naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
