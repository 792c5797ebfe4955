"""The gateway's live brand registry: the built-in file brands overlaid with the brand versions
published in the directory (whitelabel contract "Where edited brands live").

* `refresh()` asks the directory (`GET /internal/brands`, service plane) and swaps the registry
  (one reference assignment) when the published records changed. A directory without that
  endpoint yet (404/405), or one that is down, leaves the current registry in place.
* `run(bus)` loads at start, refreshes on `directory.brands-changed` (and on every
  re-subscription) and every `REFRESH_SECONDS` as a safety net.
* `asset(sha256)` fetches an uploaded logo/favicon once (`GET /internal/brand-assets/{sha256}`)
  and keeps it in a bounded in-memory cache (content-addressed: it never goes stale).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict

from branding import BrandRegistry, PublishedBrand
from branding.web import BrandAsset
from gateway.directory_client import DIRECTORY, SERVICE_PRINCIPAL, DirectoryError
from gateway.ports import DispatcherPort
from resources.kit.events import Event, EventBus
from resources.kit.follow import every, follow

log = logging.getLogger("gateway")

BRANDS_CHANGED_TOPIC = "directory.brands-changed"
REFRESH_SECONDS = 60.0
ASSET_CACHE_BYTES = 16 * 1024 * 1024
MAX_ASSET_BYTES = 256 * 1024


class LiveBrands:
    def __init__(
        self,
        files: BrandRegistry,
        dispatcher: DispatcherPort,
        *,
        cache_bytes: int = ASSET_CACHE_BYTES,
    ) -> None:
        self.files = files
        self._dispatcher = dispatcher
        self._current = files
        self._records: tuple[PublishedBrand, ...] = ()
        self._cache_bytes = cache_bytes
        self._assets: OrderedDict[str, BrandAsset] = OrderedDict()
        self._asset_bytes = 0
        self._lock = asyncio.Lock()
        self._missing_api_logged = False

    @property
    def current(self) -> BrandRegistry:
        return self._current

    def __call__(self) -> BrandRegistry:
        """`branding.web.RegistrySource` and `gateway.rendering.Renderer` call this per request."""
        return self._current

    @property
    def records(self) -> tuple[PublishedBrand, ...]:
        return self._records

    async def refresh(self) -> bool:
        """Load the published records; True when the registry was swapped. Raises
        `DirectoryError` when the directory answers something unexpected."""
        async with self._lock:
            result = await self._dispatcher.call(
                resource=DIRECTORY,
                method="GET",
                path="/internal/brands",
                principal=SERVICE_PRINCIPAL,
                plane="service",
            )
            if result.status in (404, 405):
                if not self._missing_api_logged:
                    log.info("directory has no brand API (status %s); using the file brands", result.status)
                    self._missing_api_logged = True
                return False
            if result.status != 200:
                raise DirectoryError(f"GET /internal/brands: status {result.status}")
            try:
                data = result.json()
            except ValueError as exc:
                raise DirectoryError("GET /internal/brands: answer is not JSON") from exc
            raw = data.get("brands") if isinstance(data, dict) else None
            if not isinstance(raw, list):
                raise DirectoryError("GET /internal/brands: 'brands' must be a list")
            records: list[PublishedBrand] = []
            for item in raw:
                try:
                    records.append(PublishedBrand.from_json(item))
                except ValueError as exc:
                    log.warning("published brand ignored: %s", exc)
            found = tuple(sorted(records, key=lambda r: r.org_id))
            if found == self._records:
                return False
            self._current = self.files.with_published(found)
            self._records = found
            log.info(
                "brands refreshed: %s", ", ".join(f"{r.brand_id} v{r.version}" for r in found) or "files only"
            )
            return True

    async def refresh_quietly(self) -> bool:
        try:
            return await self.refresh()
        except Exception as exc:
            log.warning("brand refresh failed; keeping the current brands: %s", exc)
            return False

    async def run(
        self,
        bus: EventBus | None,
        *,
        interval: float = REFRESH_SECONDS,
        started: asyncio.Event | None = None,
    ) -> None:
        """Until cancelled: load now, then refresh on `directory.brands-changed` (subscribed
        before the first load, so no publish is missed) and every `interval` s. `started` is
        set once the first load is done."""

        async def on_event(event: Event) -> None:
            await self.refresh_quietly()

        async def on_subscribed(first_time: bool) -> None:
            await self.refresh_quietly()  # first load, or events missed while unsubscribed

        tasks = [asyncio.create_task(every(interval, self.refresh_quietly, log=log, what="brand refresh"))]
        if bus is None:
            await self.refresh_quietly()
            if started is not None:
                started.set()
        else:
            tasks.append(
                asyncio.create_task(
                    follow(
                        bus,
                        (BRANDS_CHANGED_TOPIC,),
                        on_event=on_event,
                        on_subscribed=on_subscribed,
                        subscribed=started,
                        log=log,
                        what="brand follower",
                    )
                )
            )
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def asset(self, sha256: str) -> BrandAsset | None:
        hit = self._assets.get(sha256)
        if hit is not None:
            self._assets.move_to_end(sha256)
            return hit
        result = await self._dispatcher.call(
            resource=DIRECTORY,
            method="GET",
            path=f"/internal/brand-assets/{sha256}",
            principal=SERVICE_PRINCIPAL,
            plane="service",
        )
        if result.status == 404:
            return None
        if result.status != 200:
            raise DirectoryError(f"GET /internal/brand-assets/{sha256}: status {result.status}")
        body = result.body
        if len(body) > MAX_ASSET_BYTES:
            raise DirectoryError(f"brand asset {sha256}: {len(body)} bytes is too large")
        if hashlib.sha256(body).hexdigest() != sha256:
            raise DirectoryError(f"brand asset {sha256}: the content does not match its hash")
        content_type = {k.lower(): v for k, v in result.headers.items()}.get("content-type", "")
        asset = BrandAsset(content_type=content_type.split(";")[0].strip().lower(), data=body)
        self._keep(sha256, asset)
        return asset

    def _keep(self, sha256: str, asset: BrandAsset) -> None:
        self._assets[sha256] = asset
        self._asset_bytes += len(asset.data)
        while self._asset_bytes > self._cache_bytes and len(self._assets) > 1:
            _, dropped = self._assets.popitem(last=False)
            self._asset_bytes -= len(dropped.data)
