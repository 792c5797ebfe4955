"""Page rendering through the branding loader chain (brand templates → parents → webui).

One jinja2 Environment per brand, built lazily. Every page gets the base context the webui
templates expect: `brand`, `user`, `nav`, `csrf_token`, `title`, `request_id`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    """`brands` is a registry or a callable returning the current one (the gateway's
    `LiveBrands`); the per-brand environments are rebuilt when the registry is swapped."""

    def __init__(
        self,
        brands: BrandRegistry | Callable[[], BrandRegistry],
        *,
        base_loaders: list[BaseLoader] | None = None,
    ) -> None:
        self._source = brands
        default: list[BaseLoader] = [FileSystemLoader(WEBUI_TEMPLATES)]
        self._base = base_loaders if base_loaders is not None else default
        first = self.brands
        self._envs_for = first
        self._envs = BrandEnvironments(first, self._base)

    @property
    def brands(self) -> BrandRegistry:
        source = self._source
        return source if isinstance(source, BrandRegistry) else source()

    def env(self, brand_id: str) -> Environment:
        current = self.brands
        if current is not self._envs_for:
            self._envs_for, self._envs = current, BrandEnvironments(current, self._base)
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
