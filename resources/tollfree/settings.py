"""Toll-free settings: the generic ResourceSettings plus SCP knobs (`SWITCHBOARD_TOLLFREE_*`)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings

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
        if isinstance(settings, TollfreeSettings):
            return settings
        env = os.environ if environ is None else environ
        fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(ResourceSettings)}
        extra: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            if f.name in fields:
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.type in ("int", int):
                extra[f.name] = int(raw)
            elif f.type in ("float", float):
                extra[f.name] = float(raw)
            else:
                extra[f.name] = raw or None
        return cls(**fields, **extra)  # type: ignore[arg-type]
