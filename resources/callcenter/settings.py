"""callcenter settings: the generic ResourceSettings plus its own knobs (`SWITCHBOARD_CALLCENTER_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_CALLCENTER_"


@dataclass(frozen=True, kw_only=True)
class CallcenterSettings(ResourceSettings):
    audit_page: int = 100  # audit rows one GET /api/audit answers at most

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> CallcenterSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
