"""Traffic settings: the generic ResourceSettings plus ingest and live knobs (`SWITCHBOARD_TRAFFIC_*`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from resources.kit.settings import ResourceSettings, extend_settings

ENV_PREFIX = "SWITCHBOARD_TRAFFIC_"


@dataclass(frozen=True, kw_only=True)
class TrafficSettings(ResourceSettings):
    # evapi peers this process dials for live events: "kamailio1=127.0.0.1:8448,kam2=10.0.0.2:8448"
    # (Kamailio's evapi listens; we connect). The name is the element that reports them.
    evapi_peers: str | None = None
    live_window: int = 900  # seconds of per-second live counters kept in memory (15 min)
    bucket_seconds: int = 300  # persisted history buckets (5 min)
    flush_interval: float = 0.25  # seconds between live frames to viewers (coalescing)
    stall_timeout: float = 10.0  # a viewer whose socket takes longer than this to drain is dropped
    writer_batch: int = 2000  # most events one ingest transaction takes
    max_body: int = 4_194_304  # bytes of one POST /network/events
    max_records: int = 10_000  # records in one POST
    max_call_seconds: int = 14_400  # a call open longer than this is closed as failed (lost events)
    recent_calls: int = 50  # calls in the live page's table

    @classmethod
    def from_resource(
        cls, settings: ResourceSettings, environ: Mapping[str, str] | None = None
    ) -> TrafficSettings:
        return extend_settings(cls, settings, prefix=ENV_PREFIX, environ=environ)
