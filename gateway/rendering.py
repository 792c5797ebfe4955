"""Page rendering through the branding loader chain (brand templates → parents → webui).

One jinja2 Environment per brand, built lazily. Every page gets the base context the webui
templates expect: `brand`, `user`, `nav`, `csrf_token`, `title`, `request_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse
from starlette.types import Scope

from branding import Brand, BrandEnvironments, BrandRegistry
from resources.kit.caller import Principal
from resources.kit.manifest import Manifest

WEBUI_TEMPLATES = Path(__file__).resolve().parent.parent / "webui" / "templates"
WEBUI_STATIC = Path(__file__).resolve().parent.parent / "webui" / "static"


def nav_for(
    manifests: Mapping[str, Manifest], principal: Principal | None, path: str
) -> list[dict[str, Any]]:
    """Menu entries of every manifest the principal may see, ordered; `active` marks the current one."""
    if principal is None:
        return []
    entries = sorted(
        (e for m in manifests.values() for e in m.nav if principal.has(e.action)),
        key=lambda e: (e.order, e.title),
    )
    return [
        {
            "title": e.title,
            "path": e.path,
            "active": path == e.path or path.startswith(e.path.rstrip("/") + "/"),
        }
        for e in entries
    ]


class Renderer:
    def __init__(self, brands: BrandRegistry, *, base_loaders: list[BaseLoader] | None = None) -> None:
        self.brands = brands
        default: list[BaseLoader] = [FileSystemLoader(WEBUI_TEMPLATES)]
        self._base = base_loaders if base_loaders is not None else default
        self._envs = BrandEnvironments(brands, self._base)

    def env(self, brand_id: str) -> Environment:
        return self._envs.get(brand_id)

    def brand_for(self, scope: Scope, principal: Principal | None) -> Brand:
        if principal is not None:
            return self.brands.find(principal.brand)
        return self.brands.for_host(Headers(scope=scope).get("host"))

    def render(
        self,
        scope: Scope,
        template: str,
        context: Mapping[str, Any],
        *,
        title: str,
        principal: Principal | None,
        nav: list[dict[str, Any]],
        csrf_token: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        brand = self.brand_for(scope, principal)
        full: dict[str, Any] = {
            "brand": brand,
            "user": principal,
            "nav": nav,
            "csrf_token": csrf_token,
            "title": title,
            "request_id": str(scope.get("state", {}).get("request_id", "")),
        }
        full.update(context)
        html = self.env(brand.id).get_template(template).render(full)
        return HTMLResponse(html, status_code=status, headers=dict(headers or {}))
