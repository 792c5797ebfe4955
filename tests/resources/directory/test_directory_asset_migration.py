"""Revision 0004: brand assets keyed by (org_id, sha256), on SQLite and on the real PostgreSQL
server — existing uploads survive, a second org can store the same bytes, the models match the
tree, and downgrading keeps the earliest upload of each sha256."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from directory_fixtures import TREE
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from resources.directory.brand_models import BrandAsset
from resources.directory.models import Base
from resources.kit.db import create_engine
from resources.kit.migrate import CONNECTION, alembic_config, upgrade


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, tzinfo=dt.UTC)


PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SHA = "a" * 64
ORGS = ("acme", "zenith")
INSERT = text(
    "INSERT INTO directory_brand_assets (sha256, org_id, kind, content_type, width, height, size, data,"
    " created_at, created_by) VALUES (:sha, :org, 'logo', 'image/png', 40, 40, 3, :data, :at, 'rita')"
)


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, str | None]]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", None
        return
    schema = f"directory_{uuid.uuid4().hex[:10]}"
    yield PG_URL, schema
    engine = create_engine(url=PG_URL, schema=None)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


@asynccontextmanager
async def begin(engine: AsyncEngine, schema: str | None) -> AsyncIterator[AsyncConnection]:
    """A transaction whose text() statements find the tables in `schema` (PostgreSQL)."""
    async with engine.begin() as conn:
        if schema is not None:
            await conn.execute(text(f'SET LOCAL search_path TO "{schema}"'))
        yield conn


async def _rows(engine: AsyncEngine, schema: str | None) -> list[tuple[Any, ...]]:
    async with begin(engine, schema) as conn:
        result = await conn.execute(
            text("SELECT org_id, sha256, data FROM directory_brand_assets ORDER BY 1")
        )
        return [tuple(r) for r in result]


async def test_revision_0004_keys_assets_by_org(database: tuple[str, str | None]) -> None:
    url, schema = database
    await upgrade(migrations_dir=TREE, url=url, schema=schema, revision="0003")
    engine = create_engine(url=url, schema=schema)
    try:
        async with begin(engine, schema) as conn:
            for org in ("switchboard", *ORGS):
                await conn.execute(
                    text(
                        "INSERT INTO directory_orgs (id, name, kind, created_at) VALUES (:id, :id, 'r', :at)"
                    ),
                    {"id": org, "at": at(1)},
                )
            await conn.execute(INSERT, {"sha": SHA, "org": "acme", "data": b"png", "at": at(2)})
        await upgrade(migrations_dir=TREE, url=url, schema=schema)
        assert await _rows(engine, schema) == [("acme", SHA, b"png")]
        async with begin(engine, schema) as conn:
            await conn.execute(INSERT, {"sha": SHA, "org": "zenith", "data": b"png", "at": at(3)})

            def diffs(sync: Connection) -> list[Any]:
                opts = {"version_table": "directory_alembic_version", "compare_type": True}
                return compare_metadata(MigrationContext.configure(sync, opts=opts), Base.metadata)

            if schema is None:  # the models carry no schema: compared where they are unqualified
                assert BrandAsset.__table__.metadata is Base.metadata
                assert await conn.run_sync(diffs) == []
        assert await _rows(engine, schema) == [("acme", SHA, b"png"), ("zenith", SHA, b"png")]
        async with begin(engine, schema) as conn:

            def down(sync: Connection) -> None:
                cfg = alembic_config(migrations_dir=TREE, part="directory", schema=schema)
                cfg.attributes[CONNECTION] = sync
                command.downgrade(cfg, "0003")

            await conn.run_sync(down)
        assert await _rows(engine, schema) == [("acme", SHA, b"png")]
    finally:
        await engine.dispose()
