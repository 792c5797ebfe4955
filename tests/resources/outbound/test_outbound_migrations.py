"""The outbound alembic tree: head matches the models exactly on SQLite and on PostgreSQL (its
own schema), and downgrade removes it step by step (0002 the usage table), then all."""

from __future__ import annotations

import functools
import uuid
from pathlib import Path

from alembic import command
from migration_checks import state
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from resources.kit.db import create_engine
from resources.kit.migrate import CONNECTION, alembic_config, upgrade
from resources.outbound.models import Base

TREE = Path(__file__).resolve().parents[3] / "resources" / "outbound" / "migrations"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TABLES = [
    "outbound_alembic_version",
    "outbound_audit",
    "outbound_codes",
    "outbound_objects",
    "outbound_usage",
]
HEAD = "0002"


_check = functools.partial(state, part="outbound", metadata=Base.metadata)


async def test_sqlite_upgrade_matches_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_check, None) == (TABLES, [], HEAD)

            def down(sync: Connection, to: str) -> list[str]:
                cfg = alembic_config(migrations_dir=TREE, part="outbound", schema=None)
                cfg.attributes[CONNECTION] = sync
                command.downgrade(cfg, to)
                return sorted(inspect(sync).get_table_names())

            assert await conn.run_sync(down, "0001") == [t for t in TABLES if t != "outbound_usage"]
            assert await conn.run_sync(down, "base") == ["outbound_alembic_version"]
            await conn.commit()
    finally:
        await engine.dispose()


async def test_postgresql_upgrade_matches_models() -> None:
    schema = f"outbound_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url=PG_URL, schema=schema)
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        async with engine.connect() as conn:
            assert await conn.run_sync(_check, schema) == (TABLES, [], HEAD)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()
