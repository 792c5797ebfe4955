"""Alembic, programmatically: one migration tree per part, portable across SQLite and PostgreSQL.

Layout of a tree: `<part>/migrations/{env.py, script.py.mako, versions/}`. The tree's `env.py`
is two lines — it imports the part's metadata and calls `run_env(target_metadata=...)`; every
decision (batch mode, version table `<part>_alembic_version`, schema) lives here.

`upgrade()` opens the connection itself (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: schema created,
`schema_translate_map` applied) and hands it to alembic through `Config.attributes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from resources.kit.db import IMMEDIATE, create_engine, quote_schema

CONNECTION = "switchboard.connection"
PART = "switchboard.part"
SCHEMA = "switchboard.schema"


def version_table(part: str) -> str:
    return f"{part}_alembic_version"


def alembic_config(*, migrations_dir: Path, part: str, schema: str | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes[PART] = part
    cfg.attributes[SCHEMA] = schema
    return cfg


def _run(connection: Connection, cfg: Config, revision: str) -> None:
    schema: str | None = cfg.attributes.get(SCHEMA)
    if schema is not None and connection.dialect.name == "postgresql":
        # alembic's ALTER/DROP constructs do not go through schema_translate_map: let unqualified
        # names resolve in the part's schema for this transaction
        connection.exec_driver_sql(f"SET LOCAL search_path TO {quote_schema(schema)}")
    cfg.attributes[CONNECTION] = connection
    command.upgrade(cfg, revision)


async def upgrade(
    *, migrations_dir: Path, url: str, schema: str | None, part: str | None = None, revision: str = "head"
) -> None:
    """Bring the part's tables to `revision` (default head). `part` defaults to the name of the
    folder holding `migrations/` (`resources/directory/migrations` → "directory")."""
    cfg = alembic_config(
        migrations_dir=migrations_dir, part=part or migrations_dir.parent.name, schema=schema
    )
    engine = create_engine(url=url, schema=schema)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(**{IMMEDIATE: True})
            async with conn.begin():
                await conn.run_sync(_run, cfg, revision)
    finally:
        await engine.dispose()


def run_env(*, target_metadata: MetaData | None = None) -> None:
    """The body of every tree's `env.py`. Only online migrations through `upgrade()`."""
    cfg = context.config
    connection: Any = cfg.attributes.get(CONNECTION)
    if connection is None:
        raise RuntimeError("run migrations with resources.kit.migrate.upgrade() (`switchboard migrate`)")
    part: str = cfg.attributes[PART]
    schema: str | None = cfg.attributes.get(SCHEMA)
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        version_table=version_table(part),
        version_table_schema=schema,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
