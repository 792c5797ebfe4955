"""Settings every resource receives from the composition root (never imported globally)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from resources.kit.events import EventBus

S = TypeVar("S", bound="ResourceSettings")

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


def extend_settings(
    cls: type[S], settings: ResourceSettings, *, prefix: str, environ: Mapping[str, str] | None = None
) -> S:
    """`settings` as the resource's own subclass `cls`: the generic fields copied, every extra
    field read from `<prefix><FIELD>` in the environment when set (int/float/str; "" = None)."""
    if isinstance(settings, cls):
        return settings
    env = os.environ if environ is None else environ
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(ResourceSettings)}
    extra: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if f.name in fields:
            continue
        raw = env.get(prefix + f.name.upper())
        if raw is None:
            continue
        if f.type in ("int", int):
            extra[f.name] = int(raw)
        elif f.type in ("float", float):
            extra[f.name] = float(raw)
        else:
            extra[f.name] = raw or None
    return cls(**fields, **extra)  # type: ignore[arg-type]
