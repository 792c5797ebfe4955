"""Jinja environments for the shell's own pages (login, dashboard, errors, layout), one per
brand, through the brand loader chain. The gateway renders with these; resources use
`resources.kit.templating.ResourceTemplates` instead."""

from __future__ import annotations

from typing import Any

from jinja2 import BaseLoader, Environment, FileSystemLoader, select_autoescape

from branding import Brand, BrandRegistry, jinja_loader
from webui.paths import TEMPLATES_DIR


class ShellTemplates:
    def __init__(self, registry: BrandRegistry) -> None:
        self._registry = registry
        self._envs: dict[str, Environment] = {}

    def environment(self, brand_id: str) -> Environment:
        env = self._envs.get(brand_id)
        if env is None:
            base: list[BaseLoader] = [FileSystemLoader(TEMPLATES_DIR)]
            env = Environment(
                loader=jinja_loader(self._registry, brand_id, base),
                autoescape=select_autoescape(default=True, default_for_string=True),
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,
            )
            self._envs[brand_id] = env
        return env

    def render(self, name: str, *, brand: Brand, **context: Any) -> str:
        """Render a webui template (e.g. "base.html", "login.html") for `brand`."""
        return self.environment(brand.id).get_template(name).render(brand=brand, **context)
