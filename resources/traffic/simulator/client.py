"""The simulator on the wire: the SCP query and the batched event reports, over the network plane
with the element's client certificate — the same requests a real switch makes.

    POST <net>/tollfree/route?format=json   {"dnis", "ani", "ts", "callid"}   (kamailio.cfg route[SCP])
    POST <net>/callcenter/route?format=rtjson  the SCP's `callcenter` body      (route[CALLCENTER])
    GET  <net>/tollfree/status                                                (number discovery)
    POST <net>/traffic/events               [record, …]                       (every ~200 ms)
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from resources.traffic.simulator.model import ScpAnswer, from_router
from resources.traffic.simulator.switch import Record

log = logging.getLogger("resources.traffic.simulator")

ROUTE_PATH = "/tollfree/route"
CALLCENTER_PATH = "/callcenter/route"
STATUS_PATH = "/tollfree/status"
EVENTS_PATH = "/traffic/events"
SCP_TIMEOUT = 2.0  # seconds; a slower SCP counts as down (the call fails 503)
INGEST_TIMEOUT = 10.0


def client_tls(*, ca_file: Path, cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """Verify the network plane against the dev CA; present the element's certificate."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


class NetworkError(Exception):
    """The network plane refused the simulator in a way retrying cannot fix (401/403/404)."""


class NetworkClient:
    """One pooled HTTP client for the network plane. `transport` replaces the network in tests."""

    def __init__(
        self,
        *,
        base_url: str,
        tls: ssl.SSLContext | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            verify=tls if tls is not None else True,
            transport=transport,
            timeout=httpx.Timeout(SCP_TIMEOUT),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self.scp_failures = 0

    async def __aenter__(self) -> NetworkClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def route(self, *, dnis: str, ani: str | None, ts: int, callid: str) -> ScpAnswer | None:
        """Ask the SCP like kamailio.cfg does; None when it did not answer usably (→ 503)."""
        body = {"dnis": dnis, "ani": ani, "ts": ts, "callid": callid}
        try:
            response = await self._http.post(ROUTE_PATH, params={"format": "json"}, json=body)
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code}")
            data = response.json()
            answer = ScpAnswer.from_json(data)
            callcenter = data.get("callcenter")
            if not isinstance(callcenter, dict):
                return answer
            # a distribution: ask the call-center router for the sites, as kamailio.cfg does
            response = await self._http.post(CALLCENTER_PATH, params={"format": "rtjson"}, json=callcenter)
            if response.status_code != 200:
                raise ValueError(f"call-center router: HTTP {response.status_code}")
            return from_router(response.json(), answer)
        except (httpx.HTTPError, ValueError) as exc:
            self.scp_failures += 1
            if self.scp_failures == 1 or self.scp_failures % 100 == 0:
                log.warning("simulator: SCP query failed (%s); %d so far", exc, self.scp_failures)
            return None

    async def status(self) -> dict[str, Any]:
        """The SCP's status; raises httpx errors while the plane is not up, NetworkError when it
        refuses the simulator."""
        response = await self._http.get(STATUS_PATH)
        if response.status_code in (401, 403, 404):
            raise NetworkError(f"GET {STATUS_PATH}: HTTP {response.status_code} {response.text[:200]}")
        response.raise_for_status()
        data = response.json()
        return data if isinstance(data, dict) else {}

    async def post_events(self, records: list[Record]) -> httpx.Response:
        return await self._http.post(EVENTS_PATH, json=records, timeout=INGEST_TIMEOUT)


@dataclass
class SenderStats:
    sent: int = 0  # records the ingest answered for (accepted, duplicate or rejected)
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    dropped: int = 0  # given up: refused for good, or the buffer overflowed
    batches: int = 0
    failures: int = 0  # POSTs that failed and will be retried
    reasons: Counter[str] = field(default_factory=Counter)  # rejection reasons


class EventSender:
    """Buffers records and POSTs them in batches (`flush`, every `interval` seconds in `run`).
    A failed POST (network, 5xx) keeps the batch for the next round, so nothing is lost while the
    plane restarts; refusals that retrying cannot fix (4xx, all rejected) are counted and dropped."""

    def __init__(
        self,
        client: NetworkClient,
        *,
        interval: float = 0.2,
        max_batch: int = 5_000,
        max_buffer: int = 200_000,
    ) -> None:
        self.client = client
        self.interval = interval
        self.max_batch = max_batch
        self.max_buffer = max_buffer
        self.stats = SenderStats()
        self._buffer: deque[Record] = deque()
        self._failing = False
        self._flushing = asyncio.Lock()  # the periodic flush and a final flush never overlap

    def emit(self, records: Iterable[Record]) -> None:
        self._buffer.extend(records)
        overflow = len(self._buffer) - self.max_buffer
        for _ in range(max(0, overflow)):
            self._buffer.popleft()
            self.stats.dropped += 1

    @property
    def pending(self) -> int:
        return len(self._buffer)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> bool:
        """Send what is buffered; False when a POST failed (the rest stays buffered)."""
        async with self._flushing:
            while self._buffer:
                batch = [self._buffer[i] for i in range(min(self.max_batch, len(self._buffer)))]
                if not await self._send(batch):
                    return False
                for _ in batch:
                    self._buffer.popleft()
            return True

    async def _send(self, batch: list[Record]) -> bool:
        stats = self.stats
        try:
            response = await self.client.post_events(batch)
        except httpx.HTTPError as exc:
            return self._failed(f"{type(exc).__name__}: {exc}")
        if response.status_code >= 500 or response.status_code == 429:
            return self._failed(f"HTTP {response.status_code}")
        self._failing = False
        stats.batches += 1
        if response.status_code in (200, 422):
            data = _json(response)
            raw = data.get("rejected")
            rejected: list[Any] = raw if isinstance(raw, list) else []
            stats.sent += len(batch)
            stats.accepted += int(data.get("accepted") or 0)
            stats.duplicates += int(data.get("duplicates") or 0)
            stats.rejected += len(rejected)
            for item in rejected:
                if isinstance(item, dict):
                    stats.reasons[str(item.get("reason"))] += 1
            if rejected:
                log.warning(
                    "simulator: ingest rejected %d of %d records, e.g. %s",
                    len(rejected),
                    len(batch),
                    rejected[0],
                )
            return True
        stats.dropped += len(batch)
        log.error("simulator: ingest refused %d records: HTTP %d %s", len(batch), response.status_code,
                  response.text[:300])  # fmt: skip
        return True

    def _failed(self, why: str) -> bool:
        self.stats.failures += 1
        if not self._failing:
            log.warning("simulator: reporting events failed (%s); retrying", why)
        self._failing = True
        return False


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
