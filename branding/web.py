"""Brand files over HTTP, for the gateway to mount at `/brand`:

* `GET /brand/<id>/brand.css` → `brand_css(brand)` (colours and font as CSS variables);
  ETag + `max-age=300` (a publish shows within five minutes).
* `GET /brand/<id>/static/<file>` → a file from the brand's (or an ancestor's) `static/` dir.
* `GET /brand/<id>/assets/<sha256>` → an uploaded asset the brand shows (logo, dark logo,
  favicon), from `assets` (the gateway fetches it from the directory once and keeps it);
  content-addressed, so cached for a year and immutable.

SVG is served with its own CSP (no scripts, no external loads, sandboxed) and `nosniff`, so an
SVG opened directly cannot run anything even if validation had missed something.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from branding.model import brand_css
from branding.registry import BrandRegistry

log = logging.getLogger("branding")

CSS_CACHE = "public, max-age=300"
STATIC_CACHE = "public, max-age=3600"
ASSET_CACHE = "public, max-age=31536000, immutable"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
SVG_TYPE = "image/svg+xml"
ASSET_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/webp", "image/x-icon", "image/vnd.microsoft.icon", SVG_TYPE}
)
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BrandAsset:
    content_type: str
    data: bytes


class AssetSource(Protocol):
    async def asset(self, sha256: str) -> BrandAsset | None:
        """The uploaded asset with this hash, or None when there is none."""
        ...


RegistrySource = BrandRegistry | Callable[[], BrandRegistry]


def svg_headers() -> dict[str, str]:
    return {"Content-Security-Policy": SVG_CSP, "X-Content-Type-Options": "nosniff"}


def _not_found() -> Response:
    return Response("not found\n", status_code=404, media_type="text/plain")


def _etag_match(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in sent.split(",")) if sent else False


def create_brand_app(registry: RegistrySource, *, assets: AssetSource | None = None) -> Starlette:
    """`registry` may be a callable returning the current registry (the gateway swaps it when
    the directory publishes a brand)."""

    def current() -> BrandRegistry:
        return registry if isinstance(registry, BrandRegistry) else registry()

    async def css(request: Request) -> Response:
        brands = current()
        brand_id = request.path_params["brand_id"]
        if brand_id not in brands:
            return _not_found()
        body = brand_css(brands.get(brand_id))
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        headers = {"ETag": etag, "Cache-Control": CSS_CACHE}
        if _etag_match(request, etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/css", headers=headers)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        path = current().static_file(request.path_params["brand_id"], name)
        if path is None:
            return _not_found()
        headers = {"Cache-Control": STATIC_CACHE}
        if path.suffix.lower() == ".svg":
            headers |= svg_headers()
        return FileResponse(path, headers=headers)

    async def asset(request: Request) -> Response:
        brands = current()
        brand_id, sha = request.path_params["brand_id"], request.path_params["sha256"]
        if assets is None or brand_id not in brands or not _SHA256.fullmatch(sha):
            return _not_found()
        if sha not in brands.get(brand_id).asset_hashes():
            return _not_found()  # only what a published brand shows: no browsing of drafts by hash
        etag = f'"{sha}"'
        headers = {"ETag": etag, "Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
        if _etag_match(request, etag):
            return Response(status_code=304, headers=headers)
        try:
            found = await assets.asset(sha)
        except Exception:
            log.exception("brand asset %s: fetching failed", sha)
            return Response("brand asset unavailable\n", status_code=502, media_type="text/plain")
        if found is None:
            return _not_found()
        if hashlib.sha256(found.data).hexdigest() != sha or found.content_type not in ASSET_TYPES:
            log.warning("brand asset %s: wrong content or type %r; refused", sha, found.content_type)
            return Response("brand asset unavailable\n", status_code=502, media_type="text/plain")
        if found.content_type == SVG_TYPE:
            headers |= svg_headers()
        return Response(found.data, media_type=found.content_type, headers=headers)

    return Starlette(
        routes=[
            Route("/{brand_id}/brand.css", css, methods=["GET", "HEAD"]),
            Route("/{brand_id}/static/{name:path}", static, methods=["GET", "HEAD"]),
            Route("/{brand_id}/assets/{sha256}", asset, methods=["GET", "HEAD"]),
        ]
    )
