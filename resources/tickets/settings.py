"""tickets settings: the generic ResourceSettings plus its own knobs (`SWITCHBOARD_TICKETS_*`).

The SLA table: hours from opening to the expected resolution, by severity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_TICKETS_"
MB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class TicketsSettings(ResourceSettings):
    number_prefix: str = "T"  # the issuer: tickets are numbered T-000001, T-000002, … without gaps
    sla_critical_hours: int = 4
    sla_major_hours: int = 8
    sla_minor_hours: int = 24
    sla_low_hours: int = 72
    reopen_days: int = 7  # a customer may reopen a resolved ticket this long after it was resolved
    max_attachment_bytes: int = 5 * MB
    page_size: int = 50  # list default (`limit`)
    max_page_size: int = 200

    def sla_hours(self) -> dict[str, int]:
        return {
            "critical": self.sla_critical_hours,
            "major": self.sla_major_hours,
            "minor": self.sla_minor_hours,
            "low": self.sla_low_hours,
        }

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> TicketsSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
