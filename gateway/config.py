"""Process configuration: environment (SWITCHBOARD_*) and an optional TOML file.

Frozen; built once by the CLI and passed down. Nothing reads the environment at import time.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class Config:
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8443
    network_host: str = "127.0.0.1"
    network_port: int = 8450
    public_host: str = "localhost"  # what `make demo` prints
    database_url: str | None = None  # None: SQLite files under data_dir; else PostgreSQL (schema per part)
    redis_url: str | None = None  # None: in-process bus + SQL sessions; else Redis for both
    resources: Mapping[str, str] = field(default_factory=dict)  # name -> "inproc" | "https://host:port"
    demo: bool = False
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 60 * 60
    log_level: str = "INFO"

    @property
    def certs_dir(self) -> Path:
        return self.data_dir / "certs"

    def resource_location(self, name: str) -> str:
        return self.resources.get(name, "inproc")

    @classmethod
    def load(cls, *, env: Mapping[str, str] | None = None, file: Path | None = None) -> Config:
        env = os.environ if env is None else env
        raw: dict[str, Any] = {}
        path = file or (Path(env["SWITCHBOARD_CONFIG"]) if env.get("SWITCHBOARD_CONFIG") else None)
        if path is not None:
            try:
                raw = tomllib.loads(path.read_text())
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from exc

        def pick(key: str, env_key: str, default: Any) -> Any:
            if env_key in env and env[env_key] != "":
                return env[env_key]
            return raw.get(key, default)

        resources: dict[str, str] = {str(k): str(v) for k, v in dict(raw.get("resources", {})).items()}
        # SWITCHBOARD_RESOURCES="directory=https://127.0.0.1:9101,tollfree=inproc"
        for item in filter(None, (x.strip() for x in env.get("SWITCHBOARD_RESOURCES", "").split(","))):
            name, sep, where = item.partition("=")
            if not sep:
                raise ConfigError(f"SWITCHBOARD_RESOURCES entry {item!r} is not NAME=inproc|https://…")
            resources[name.strip()] = where.strip()
        for name, where in resources.items():
            if where != "inproc" and not where.startswith("https://"):
                raise ConfigError(
                    f"resource {name}: location must be 'inproc' or an https:// URL, got {where!r}"
                )

        def as_int(key: str, env_key: str, default: int) -> int:
            value = pick(key, env_key, default)
            try:
                return int(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"{env_key} must be a whole number, got {value!r}") from exc

        demo = str(pick("demo", "SWITCHBOARD_DEMO", "0")).lower() in {"1", "true", "yes", "on"}
        return cls(
            data_dir=Path(pick("data_dir", "SWITCHBOARD_DATA", "var")),
            host=str(pick("host", "SWITCHBOARD_HOST", "127.0.0.1")),
            port=as_int("port", "SWITCHBOARD_PORT", 8443),
            network_host=str(pick("network_host", "SWITCHBOARD_NETWORK_HOST", "127.0.0.1")),
            network_port=as_int("network_port", "SWITCHBOARD_NETWORK_PORT", 8450),
            public_host=str(pick("public_host", "SWITCHBOARD_PUBLIC_HOST", "localhost")),
            database_url=pick("database_url", "SWITCHBOARD_DATABASE_URL", None) or None,
            redis_url=pick("redis_url", "SWITCHBOARD_REDIS_URL", None) or None,
            resources=resources,
            demo=demo,
            session_idle_seconds=as_int("session_idle_seconds", "SWITCHBOARD_SESSION_IDLE", 30 * 60),
            session_absolute_seconds=as_int(
                "session_absolute_seconds", "SWITCHBOARD_SESSION_ABSOLUTE", 12 * 60 * 60
            ),
            log_level=str(pick("log_level", "SWITCHBOARD_LOG_LEVEL", "INFO")).upper(),
        )
