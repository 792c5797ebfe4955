"""Brand assets over HTTP, for the gateway to mount at `/brand`:

* `GET /brand/<id>/brand.css` → `brand_css(brand)` (the colours as CSS variables)
* `GET /brand/<id>/static/<file>` → the file from the brand's (or an ancestor's) `static/` dir
"""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from branding.model import brand_css
from branding.registry import BrandRegistry

_CACHE = "public, max-age=300"


def create_brand_app(registry: BrandRegistry) -> Starlette:
    async def css(request: Request) -> Response:
        brand_id = request.path_params["brand_id"]
        if brand_id not in registry.ids():
            return Response("not found\n", status_code=404, media_type="text/plain")
        body = brand_css(registry.get(brand_id))
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE})
        return Response(body, media_type="text/css", headers={"ETag": etag, "Cache-Control": _CACHE})

    async def static(request: Request) -> Response:
        path = registry.static_file(request.path_params["brand_id"], request.path_params["name"])
        if path is None:
            return Response("not found\n", status_code=404, media_type="text/plain")
        return FileResponse(path, headers={"Cache-Control": _CACHE})

    return Starlette(
        routes=[
            Route("/{brand_id}/brand.css", css, methods=["GET", "HEAD"]),
            Route("/{brand_id}/static/{name:path}", static, methods=["GET", "HEAD"]),
        ]
    )
