"""Jinja environments for the shell's own pages (login, dashboard, errors, layout), one per
brand, through the brand loader chain. The gateway renders with these; resources use
`resources.kit.templating.ResourceTemplates` instead."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader

from branding import Brand, BrandEnvironments, BrandRegistry
from webui.paths import TEMPLATES_DIR


class ShellTemplates:
    def __init__(self, registry: BrandRegistry) -> None:
        self._registry = registry
        self._envs = BrandEnvironments(registry, [FileSystemLoader(TEMPLATES_DIR)])

    def environment(self, brand_id: str) -> Environment:
        return self._envs.get(brand_id)

    def render(self, name: str, *, brand: Brand, **context: Any) -> str:
        """Render a webui template (e.g. "base.html", "login.html") for `brand`."""
        return self.environment(brand.id).get_template(name).render(brand=brand, **context)
