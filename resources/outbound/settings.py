"""outbound settings: the generic ResourceSettings plus its own knobs (`SWITCHBOARD_OUTBOUND_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_OUTBOUND_"


@dataclass(frozen=True, kw_only=True)
class OutboundSettings(ResourceSettings):
    audit_page: int = 100  # audit rows one GET /api/audit answers at most
    # authorization codes: argon2id at OWASP's minimum (19 MiB, t=2) — a code is checked on call
    # set-up, in a worker thread; the lockout, not the hash, is what stops guessing
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    argon2_parallelism: int = 1
    max_failures: int = 5  # wrong codes in a row before the line's code locks
    lock_minutes: int = 15
    refresh_seconds: float = 30.0  # the decision cache re-reads a customer at least this often
    lines_interval: float = 60.0  # `outbound.lines` goes out at least this often (lines.py)

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> OutboundSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
