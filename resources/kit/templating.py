"""Resource page rendering through the brand loader chain (DESIGN.md §3 "Layout decoration").

A resource renders its *content* (no <html>/<head>) and marks it with `X-Switchboard-Page`
(the percent-encoded title); the gateway wraps it in the branded shell. Template lookup:
brand templates (brand → parent → default) → the resource's own `templates/` → webui templates
(shared macros such as `macros/forms.html`). A "default:" prefix skips the brand overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

from branding import Brand, BrandEnvironments, BrandRegistry
from webui.paths import TEMPLATES_DIR

PAGE_HEADER = "X-Switchboard-Page"


def page_title_header(title: str) -> str:
    """The X-Switchboard-Page value: the title percent-encoded as UTF-8 (header-safe ASCII)."""
    return quote(title, safe="")


class ResourceTemplates:
    def __init__(self, resource_dir: Path, registry: BrandRegistry) -> None:
        self._templates_dir = resource_dir / "templates"
        self._registry = registry
        self._envs = BrandEnvironments(registry, [FileSystemLoader([self._templates_dir, TEMPLATES_DIR])])

    @property
    def registry(self) -> BrandRegistry:
        """The brands from files (published brands live in the directory and the gateway)."""
        return self._registry

    def brand_for(self, request: Request) -> Brand:
        """The caller's brand if it has files; else the nearest reseller above the caller whose
        brand has files (a brand published in the portal has no template files of its own, and
        content must not fall back to the provider's past a reseller's); else the default."""
        caller = getattr(request.state, "caller", None)
        chain = tuple(getattr(caller, "reseller_chain", ()) or ())
        for brand_id in (getattr(caller, "brand", None), *reversed(chain)):
            if brand_id and brand_id in self._registry:
                return self._registry.find(brand_id)
        return self._registry.default

    def environment(self, brand_id: str) -> Environment:
        return self._envs.get(brand_id)

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        title: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        brand = self.brand_for(request)
        caller = getattr(request.state, "caller", None)
        values: dict[str, Any] = {"request": request, "caller": caller, "brand": brand, "title": title}
        values.update(context or {})
        html = self.environment(brand.id).get_template(name).render(values)
        out = dict(headers or {})
        if title is not None:
            out[PAGE_HEADER] = page_title_header(title)
        return HTMLResponse(html, status_code=status, headers=out)
