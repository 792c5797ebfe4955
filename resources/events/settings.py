"""events settings: the generic ResourceSettings plus its own knobs (`SWITCHBOARD_EVENTS_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_EVENTS_"


@dataclass(frozen=True, kw_only=True)
class EventsSettings(ResourceSettings):
    clear_after: float = 10.0  # seconds a condition must stay inactive before its alarm clears
    update_interval: float = 60.0  # an unchanged repeat writes a log row at most this often
    flap_window: float = 120.0  # a new alarm within this of the key's last clear correlates to it
    sweep_interval: float = 1.0  # how often the runtime clears alarms whose hysteresis has run out
    audit_page: int = 100  # threshold audit rows one page shows at most
    failures_in_a_row: int = 5  # failed calls in a row at a site that raise consecutiveCallFailures

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> EventsSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
