"""The alembic tree: upgrade to head matches the models exactly, the one-ACTIVE partial index
exists on SQLite and renders for PostgreSQL, and downgrade removes everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex
from tollfree_fixtures import TREE

from resources.kit.db import create_engine
from resources.kit.migrate import CONNECTION, alembic_config, upgrade
from resources.tollfree.models import Base, Version

TABLES = [
    "tollfree_alembic_version",
    "tollfree_audit",
    "tollfree_events",
    "tollfree_labels",
    "tollfree_numbers",
    "tollfree_origin",
    "tollfree_pool",
    "tollfree_sites",
    "tollfree_templates",
    "tollfree_tenancy",
    "tollfree_versions",
]


def _one_active() -> Any:
    return next(i for i in Version.__table__.indexes if i.name == "ux_tollfree_versions_one_active")


async def test_upgrade_matches_models_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    await upgrade(migrations_dir=TREE, url=url, schema=None)
    engine = create_engine(url=url, schema=None)
    try:
        async with engine.connect() as conn:

            def check(sync: Connection) -> tuple[list[str], list[Any], str, str]:
                opts = {"version_table": "tollfree_alembic_version", "compare_type": True}
                diffs = compare_metadata(MigrationContext.configure(sync, opts=opts), Base.metadata)
                version = sync.execute(text("SELECT version_num FROM tollfree_alembic_version")).scalar_one()
                sql = sync.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'ux_tollfree_versions_one_active'")
                ).scalar_one()
                return sorted(inspect(sync).get_table_names()), diffs, version, sql

            tables, diffs, version, sql = await conn.run_sync(check)
        assert tables == TABLES
        assert diffs == []
        assert version == "0002"
        assert sql.endswith("(target) WHERE state = 'ACTIVE'")
        async with engine.connect() as conn:

            def down(sync: Connection) -> list[str]:
                cfg = alembic_config(migrations_dir=TREE, part="tollfree", schema=None)
                cfg.attributes[CONNECTION] = sync
                command.downgrade(cfg, "base")
                return sorted(inspect(sync).get_table_names())

            assert await conn.run_sync(down) == ["tollfree_alembic_version"]
            await conn.commit()
    finally:
        await engine.dispose()


def test_the_partial_index_renders_for_both_dialects() -> None:
    index = _one_active()
    assert str(CreateIndex(index).compile(dialect=postgresql.dialect())) == (
        "CREATE UNIQUE INDEX ux_tollfree_versions_one_active ON tollfree_versions (target) "
        "WHERE state = 'ACTIVE'"
    )
    assert str(CreateIndex(index).compile(dialect=sqlite.dialect())) == (
        "CREATE UNIQUE INDEX ux_tollfree_versions_one_active ON tollfree_versions (target) "
        "WHERE state = 'ACTIVE'"
    )
