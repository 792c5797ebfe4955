"""events settings: the generic ResourceSettings plus its own knobs (`SWITCHBOARD_EVENTS_*`).

Notifications: `SMTP_HOST` / `SMTP_PORT` (where mail goes, default 127.0.0.1:2525),
`SMTP_SINK` (1: the runtime runs the demo SMTP sink on that address; on by default in demo
mode), `DELIVER_INTERVAL` (how often the sender looks for due deliveries), `WEBHOOK_TIMEOUT`,
`PORTAL_URL` (links and logos in mails; a brand with hosts gets its first host instead)."""

from __future__ import annotations

import dataclasses
import os
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
    smtp_host: str = "127.0.0.1"  # where alarm mail is sent (SMTP, no TLS, no auth)
    smtp_port: int = 2525
    smtp_sink: int = 0  # 1: run the demo SMTP sink on smtp_host:smtp_port (demo mode: default 1)
    deliver_interval: float = 1.0  # seconds between the sender's looks for due deliveries
    webhook_timeout: float = 5.0  # seconds a webhook endpoint has to answer
    portal_url: str = "https://localhost:8443"  # the portal's address in mails

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> EventsSettings:
        events = extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
        env = os.environ if environ is None else environ
        if events.demo and ENV_PREFIX + "SMTP_SINK" not in env and not isinstance(settings, cls):
            events = dataclasses.replace(events, smtp_sink=1)  # the demo's mail stays in the outbox
        return events
