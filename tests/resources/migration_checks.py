"""What a resource's migration test compares after `upgrade` (run inside `conn.run_sync`): the
tables, the differences between the migrated schema and the models, and the version stamped."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, column, inspect, select, table


def state(
    sync: Connection, schema: str | None, *, part: str, metadata: MetaData
) -> tuple[list[str], list[Any], str]:
    """(sorted table names, compare_metadata diffs, version) of resource `part`."""
    if schema is not None:  # reflection ignores schema_translate_map: look from inside the schema
        sync.exec_driver_sql(f'SET search_path TO "{schema}"')
    opts = {"version_table": f"{part}_alembic_version", "compare_type": True}
    diffs = compare_metadata(MigrationContext.configure(sync, opts=opts), metadata)
    stamp = table(f"{part}_alembic_version", column("version_num"))
    version = sync.execute(select(stamp.c.version_num)).scalar_one()
    return sorted(inspect(sync).get_table_names()), diffs, version
