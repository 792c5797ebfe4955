"""callcenter settings: the generic ResourceSettings plus its own knobs (`SWITCHBOARD_CALLCENTER_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_CALLCENTER_"


@dataclass(frozen=True, kw_only=True)
class CallcenterSettings(ResourceSettings):
    audit_page: int = 100  # audit rows one GET /api/audit answers at most
    pending_seconds: float = 30.0  # a call the router sent counts as live this long until traffic reports it
    refresh_seconds: float = 30.0  # the router re-reads a customer's configuration at least this often
    announce_uri: str | None = None  # media server for announcement treatments, "{treatment}" filled in
    pstn_uri: str = "sip:{number}@pstn.invalid"  # where ring-to treatments go, "{number}" filled in

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> CallcenterSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
