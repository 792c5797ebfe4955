"""Directory settings: the generic ResourceSettings plus security knobs (frozen, no globals)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from resources.kit.settings import ResourceSettings


@dataclass(frozen=True, kw_only=True)
class DirectorySettings(ResourceSettings):
    lockout_threshold: int = 5  # consecutive failures (password or MFA) before a lock
    lockout_seconds: int = 15 * 60
    min_password_length: int = 12
    # argon2id, RFC 9106 "second recommended option" (64 MiB, t=3, p=4); tests may lower these.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 4

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "directory-secret.key"

    @classmethod
    def from_resource(cls, settings: ResourceSettings) -> DirectorySettings:
        if isinstance(settings, DirectorySettings):
            return settings
        fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(ResourceSettings)}
        return cls(**fields)
