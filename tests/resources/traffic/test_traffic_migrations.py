"""The traffic alembic tree: upgrade to head matches the models exactly on SQLite and on
PostgreSQL (its own schema), the open-calls partial index exists, and downgrade removes it all;
0002 (outbound lines, calls.call_class) upgrades a 0001 database with calls in it and back."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from traffic_store_support import PG_URL, TREE

from resources.kit.db import create_engine
from resources.kit.migrate import CONNECTION, alembic_config, upgrade
from resources.traffic.models import Base

HEAD = "0002"

TABLES = [
    "traffic_alembic_version",
    "traffic_buckets",
    "traffic_calls",
    "traffic_lines",
    "traffic_numbers",
    "traffic_sites",
]


def _check(sync: Connection, schema: str | None) -> tuple[list[str], list[Any], str]:
    if schema is not None:  # reflection ignores schema_translate_map: look from inside the schema
        sync.exec_driver_sql(f'SET search_path TO "{schema}"')
    opts = {"version_table": "traffic_alembic_version", "compare_type": True}
    diffs = compare_metadata(MigrationContext.configure(sync, opts=opts), Base.metadata)
    version = sync.execute(text("SELECT version_num FROM traffic_alembic_version")).scalar_one()
    return sorted(inspect(sync).get_table_names()), diffs, version


async def test_sqlite_upgrade_matches_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.connect() as conn:
            tables, diffs, version = await conn.run_sync(_check, None)
            sql = (
                await conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ix_traffic_calls_open'"))
            ).scalar_one()
        assert (tables, diffs, version) == (TABLES, [], HEAD)
        assert sql.endswith("(start) WHERE disposition IS NULL")
        async with engine.connect() as conn:

            def down(sync: Connection) -> list[str]:
                cfg = alembic_config(migrations_dir=TREE, part="traffic", schema=None)
                cfg.attributes[CONNECTION] = sync
                command.downgrade(cfg, "base")
                return sorted(inspect(sync).get_table_names())

            assert await conn.run_sync(down) == ["traffic_alembic_version"]
            await conn.commit()
    finally:
        await engine.dispose()


async def test_postgresql_upgrade_matches_models() -> None:
    schema = f"traffic_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url=PG_URL, schema=schema)
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        async with engine.connect() as conn:
            tables, diffs, version = await conn.run_sync(_check, schema)
            index = (
                await conn.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE schemaname = :s AND indexname = :i"),
                    {"s": schema, "i": "ix_traffic_calls_open"},
                )
            ).scalar_one()
        assert (tables, diffs, version) == (TABLES, [], HEAD)
        assert index.endswith("(start) WHERE (disposition IS NULL)")
    finally:
        await engine.dispose()
        cleanup = create_engine(url=PG_URL, schema=None)
        async with cleanup.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await cleanup.dispose()


def _revision(cfg_target: str) -> Any:
    def run(sync: Connection) -> list[str]:
        cfg = alembic_config(migrations_dir=TREE, part="traffic", schema=None)
        cfg.attributes[CONNECTION] = sync
        if cfg_target.startswith("-"):
            command.downgrade(cfg, cfg_target[1:])
        else:
            command.upgrade(cfg, cfg_target)
        return sorted(inspect(sync).get_table_names())

    return run


async def test_0002_keeps_the_calls_of_0001_and_downgrades_to_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    engine = create_engine(url=url, schema=None)
    insert = text(
        "INSERT INTO traffic_calls (call_id, customer_id, resellers, number, path, element, seen, counted, "
        "key_site, key_carrier, received_at, updated_at) VALUES ('c1', 'globex', '[]', '+18005550100', '[]', "
        "'kam1', 1, 1, '', '', '2026-03-02', '2026-03-02')"
    )
    index_sql = text("SELECT sql FROM sqlite_master WHERE name = 'ix_traffic_calls_open'")
    try:
        async with engine.connect() as conn:
            assert "traffic_lines" not in await conn.run_sync(_revision("0001"))
            await conn.execute(insert)
            await conn.commit()
        async with engine.connect() as conn:
            assert "traffic_lines" in await conn.run_sync(_revision("head"))
            await conn.commit()
            rows = (await conn.execute(text("SELECT call_id, call_class FROM traffic_calls"))).all()
            assert [tuple(r) for r in rows] == [("c1", None)]
        async with engine.connect() as conn:
            assert "traffic_lines" not in await conn.run_sync(_revision("-0001"))
            await conn.commit()
            rows = (await conn.execute(text("SELECT call_id FROM traffic_calls"))).all()
            assert [tuple(r) for r in rows] == [("c1",)]
            names = [
                c["name"] for c in await conn.run_sync(lambda s: inspect(s).get_columns("traffic_calls"))
            ]
            assert "call_class" not in names
            assert (await conn.execute(index_sql)).scalar_one().endswith("(start) WHERE disposition IS NULL")
    finally:
        await engine.dispose()
