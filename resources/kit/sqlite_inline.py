"""Read-only SQLite statements run on the event loop thread, without aiosqlite's thread hop.

aiosqlite runs every call (cursor, execute, fetchall, close …) on its own thread and wakes the
event loop with the answer: ~8 round trips through the loop for one SELECT, which at 64 concurrent
requests is where a read-only request spent its time. A WAL reader never waits for a writer and
answers a primary-key SELECT in microseconds, so for reads it is cheaper to call sqlite3 directly.

`InlineConnection` offers the slice of aiosqlite's API SQLAlchemy's aiosqlite dialect uses, each
method a coroutine that finishes without suspending: SQLAlchemy's greenlet bridge awaits it and
gets the answer at once. The connection is opened with `PRAGMA query_only=ON`, so anything but a
read fails ("attempt to write a readonly database") instead of writing outside BEGIN IMMEDIATE.
`resources.kit.db` builds one such reader engine beside each SQLite file engine and
`unit_of_work(write=False)` uses it; writes keep aiosqlite + BEGIN IMMEDIATE.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READER_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000", "PRAGMA query_only=ON")


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        self._cursor.execute(sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, seq)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """What SQLAlchemy's aiosqlite adapter calls on an aiosqlite.Connection, run inline."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection  # the adapter checks it is set

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def create_function(self, *args: Any, **kw: Any) -> None:
        self._conn.create_function(*args, **kw)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for in-memory databases (one per connection)."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def create_reader_engine(url: str) -> AsyncEngine | None:
    """An engine whose connections read `url`'s file inline (autocommit, query_only)."""
    path = sqlite_file(url)
    if path is None:
        return None

    async def connect() -> InlineConnection:
        # isolation_level=None: autocommit, no BEGIN/COMMIT round trips for a read; every
        # statement reads one consistent WAL snapshot. check_same_thread=False: the pool may
        # close a connection from the garbage collector's thread.
        raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in READER_PRAGMAS:
            raw.execute(pragma)
        return InlineConnection(raw)

    return create_async_engine(url, async_creator=connect, pool_size=8, max_overflow=56)
