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

`select_rows` goes one step further for a resource's hottest reads (the directory's principal and
grants): inside a read-only unit of work it runs the Core statement on sqlite3 directly.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import JSON, Select, bindparam, event, inspect, select
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm.instrumentation import ClassManager

AnySelect = Select[*tuple[Any, ...]]
M = TypeVar("M")
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


def _open_reader(path: str) -> sqlite3.Connection:
    # isolation_level=None: autocommit, no BEGIN/COMMIT round trips for a read; every statement
    # reads one consistent WAL snapshot. check_same_thread=False: the pool may close a
    # connection from the garbage collector's thread.
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in READER_PRAGMAS:
        raw.execute(pragma)
    return raw


def create_reader_engine(url: str) -> AsyncEngine | None:
    """An engine whose connections read `url`'s file inline (autocommit, query_only)."""
    path = sqlite_file(url)
    if path is None:
        return None

    async def connect() -> InlineConnection:
        return InlineConnection(_open_reader(path))

    engine = create_async_engine(url, async_creator=connect, pool_size=8, max_overflow=56)
    statements = InlineStatements(path, engine.sync_engine.dialect)
    _STATEMENTS[engine] = statements

    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _close(_engine: Any) -> None:
        statements.close()

    return engine


# a reader engine -> the statements run below the ORM on its file
_STATEMENTS: weakref.WeakKeyDictionary[AsyncEngine, InlineStatements] = weakref.WeakKeyDictionary()


class InlineStatements:
    """Hot read statements, compiled once and run on one sqlite3 connection of their own.

    Through the ORM a primary-key SELECT costs ~250 µs of Python (greenlet hops, compiled-cache
    lookup, result and identity-map machinery) around ~30 µs in SQLite. These run the statement's
    SQL directly and apply its types' bind and result processors, so values come back exactly as
    `session.execute` returns them. One connection is enough: every call finishes on the event
    loop thread without suspending, and autocommit gives each statement its own snapshot, as the
    reader engine's connections do."""

    def __init__(self, path: str, dialect: Dialect) -> None:
        self._path = path
        self._dialect = dialect
        self._connection: sqlite3.Connection | None = None
        self._compiled: dict[int, _Compiled] = {}

    def rows(self, statement: AnySelect, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """`statement` must be built once (a module constant): it is compiled once per object."""
        compiled = self._compiled.get(id(statement))
        if compiled is None or compiled.statement is not statement:
            compiled = self._compiled[id(statement)] = _Compiled.of(statement, self._dialect)
        cursor = self._conn().execute(compiled.sql, compiled.bind(params))
        try:
            return [compiled.result(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = _open_reader(self._path)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass(frozen=True)
class _Compiled:
    statement: AnySelect
    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, processor), if any

    @classmethod
    def of(cls, statement: AnySelect, dialect: Dialect) -> _Compiled:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        if any(compiled.binds[n].expanding for n in names):
            raise ValueError("expanding IN parameters are not supported inline")
        results = []
        for i, column in enumerate(statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((i, _json_null(process) if isinstance(column.type, JSON) else process))
        return cls(
            statement=statement,
            sql=compiled.string,
            names=names,
            binds=tuple(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names),
            results=tuple(results),
        )

    def bind(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, process in zip(self.names, self.binds, strict=True):
            value = params[name]
            out.append(value if process is None else process(value))
        return out

    def result(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self.results:
            return tuple(row)
        out = list(row)
        for i, process in self.results:
            out[i] = process(out[i])
        return tuple(out)


def _json_null(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """JSON's processor, without a parse for the stored JSON `null` (most grants' scope)."""

    def json_value(value: Any) -> Any:
        return None if value is None or value == "null" else process(value)

    return json_value


def inline_statements(session: AsyncSession) -> InlineStatements | None:
    """The inline statements of a read-only unit of work on a SQLite file; None otherwise (a
    write transaction, PostgreSQL, an in-memory database): then use the session."""
    bind = session.bind
    return _STATEMENTS.get(bind) if isinstance(bind, AsyncEngine) else None


async def get_by_key(session: AsyncSession, model: type[M], key: Any) -> M | None:
    """`session.get(model, key)` — or, inline on a SQLite reader, a transient copy of the row
    (the session never tracks it: fine for reading, never for changing)."""
    inline = inline_statements(session)
    if inline is None:
        return await session.get(model, key)
    by_key = _by_key(model)
    rows = inline.rows(by_key.statement, {"key": key})
    if not rows:
        return None
    # as the ORM's loader builds an instance: new state, then the column values straight into
    # its __dict__ (the instrumented constructor's per-attribute events cost ~35 µs a row)
    instance: M = by_key.manager.new_instance()
    instance.__dict__.update(zip(by_key.fields, rows[0], strict=True))
    return instance


@dataclass(frozen=True)
class _ByKey:
    statement: AnySelect  # the model's one-column primary-key SELECT of every column
    fields: tuple[str, ...]  # the attribute name of each selected column
    manager: ClassManager[Any]


def _by_key(model: type[Any]) -> _ByKey:
    """Built once per model (InlineStatements compiles a statement once per statement object)."""
    found = _BY_KEY.get(model)
    if found is None:
        mapper = inspect(model)
        (pk,) = mapper.primary_key
        columns = tuple(mapper.columns)
        found = _BY_KEY[model] = _ByKey(
            statement=select(*columns).where(pk == bindparam("key")),
            fields=tuple(mapper.get_property_by_column(c).key for c in columns),
            manager=mapper.class_manager,
        )
    return found


_BY_KEY: dict[type[Any], _ByKey] = {}


async def select_rows(
    session: AsyncSession, statement: AnySelect, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """`statement`'s rows as tuples: inline on a SQLite reader, through the session otherwise."""
    inline = inline_statements(session)
    if inline is not None:
        return inline.rows(statement, params)
    return [tuple(row) for row in await session.execute(statement, params)]
