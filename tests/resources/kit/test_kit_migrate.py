"""resources.kit.migrate: programmatic alembic upgrade of a part's tree (the directory's here)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from resources.kit.db import create_engine
from resources.kit.migrate import upgrade, version_table

TREE = Path(__file__).resolve().parents[3] / "resources" / "directory" / "migrations"
PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TABLES = [
    "directory_alembic_version",
    "directory_api_tokens",
    "directory_audit",
    "directory_brand_assets",
    "directory_brand_versions",
    "directory_orgs",
    "directory_role_entitlements",
    "directory_roles",
    "directory_sso",
    "directory_sso_identities",
    "directory_user_entitlements",
    "directory_user_roles",
    "directory_users",
]


def test_version_table_name() -> None:
    assert version_table("gateway") == "gateway_alembic_version"


async def test_upgrade_sqlite_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.connect() as conn:
            names = await conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
            )
            assert [r[0] for r in names] == TABLES
            version = await conn.exec_driver_sql("SELECT version_num FROM directory_alembic_version")
            assert version.all() == [("0005",)]
    finally:
        await engine.dispose()


async def test_upgrade_with_explicit_part_name(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None, part="other")
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.connect() as conn:
            version = await conn.exec_driver_sql("SELECT version_num FROM other_alembic_version")
            assert version.all() == [("0005",)]
    finally:
        await engine.dispose()


@pytest.mark.integration
async def test_upgrade_postgres_into_own_schema() -> None:
    schema = f"migtest_{uuid.uuid4().hex[:10]}"
    try:
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        await upgrade(migrations_dir=TREE, url=PG_URL, schema=schema)
        engine = create_engine(url=PG_URL, schema=schema)
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
                    "ORDER BY table_name"
                ),
                {"s": schema},
            )
            assert [r[0] for r in rows] == TABLES
            version = await conn.exec_driver_sql(
                f'SELECT version_num FROM "{schema}".directory_alembic_version'  # noqa: S608
            )
            assert version.all() == [("0005",)]
            public = await conn.exec_driver_sql(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name = 'directory_alembic_version'"
            )
            assert public.scalar() == 0
        await engine.dispose()
    finally:
        engine = create_engine(url=PG_URL, schema=None)
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await engine.dispose()
