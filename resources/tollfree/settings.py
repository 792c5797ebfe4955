"""Toll-free settings: the generic ResourceSettings plus SCP knobs (`SWITCHBOARD_TOLLFREE_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_TOLLFREE_"


@dataclass(frozen=True, kw_only=True)
class TollfreeSettings(ResourceSettings):
    # Where a ring-to (PSTN) number is sent: the provider's PSTN gateway; `{number}` is E.164.
    pstn_uri: str = "sip:{number}@pstn.invalid"
    # Where ANNOUNCE treatments play (a media server); `{treatment}` is the treatment name.
    # None = no media server: the switch rejects with the treatment's SIP code instead.
    announce_uri: str | None = None
    ring_timeout: int = 20  # seconds before route-advance (ring-no-answer) when a plan gives none
    scheduler_interval: float = 1.0  # seconds between checks for effective-dated activations
    resync_interval: float = 60.0  # full reload of the SCP's compiled plans (safety net)

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> TollfreeSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
