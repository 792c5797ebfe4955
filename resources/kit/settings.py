"""Settings every resource receives from the composition root (never imported globally)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from resources.kit.events import EventBus

ISSUER = "switchboard-dispatcher"


@dataclass(frozen=True, kw_only=True)
class ResourceSettings:
    name: str  # the resource name: package, aud, schema, table prefix
    data_dir: Path  # SWITCHBOARD_DATA (default ./var)
    database_url: str  # sqlite+aiosqlite:///<data>/<name>.db or postgresql+asyncpg://…
    db_schema: str | None  # PostgreSQL schema (= name) or None for SQLite
    jwks_path: Path  # the dispatcher's public JWKS (current + previous key)
    issuer: str = ISSUER
    bus: EventBus
    demo: bool = False
    brands_dir: Path | None = None  # extra brand directory (white-label), None = built-ins only

    @staticmethod
    def sqlite_url(data_dir: Path, name: str) -> str:
        return f"sqlite+aiosqlite:///{(data_dir / f'{name}.db').resolve()}"
