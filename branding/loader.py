"""The Jinja loader chain: brand templates (brand → parent → …) first, then the base loaders.

A template name prefixed "default:" skips every brand override and loads from the base loaders,
so a brand's `base.html` can `{% extends "default:base.html" %}` and change only some blocks
(datasette's pattern).
"""

from __future__ import annotations

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape

from branding.registry import BrandRegistry


def jinja_loader(registry: BrandRegistry, brand_id: str, base: list[BaseLoader]) -> BaseLoader:
    base_choice = ChoiceLoader(list(base))
    brand_dirs = [
        b.templates_dir
        for b in registry.chain(brand_id)
        if b.templates_dir is not None and b.templates_dir.is_dir()
    ]
    loaders: list[BaseLoader] = [PrefixLoader({"default": base_choice}, delimiter=":")]
    if brand_dirs:
        loaders.append(FileSystemLoader(brand_dirs))
    loaders.append(base_choice)
    return ChoiceLoader(loaders)


class BrandEnvironments:
    """One Jinja environment per brand over the loader chain (brand → parent → `base`), built
    lazily and kept. The shell and every resource render through one of these, so templates
    behave the same everywhere (autoescape on, trimmed blocks)."""

    def __init__(self, registry: BrandRegistry, base: list[BaseLoader]) -> None:
        self._registry = registry
        self._base = base
        self._envs: dict[str, Environment] = {}

    def get(self, brand_id: str) -> Environment:
        env = self._envs.get(brand_id)
        if env is None:
            env = Environment(
                loader=jinja_loader(self._registry, brand_id, self._base),
                autoescape=select_autoescape(default=True, default_for_string=True),
                trim_blocks=True,
                lstrip_blocks=True,
                auto_reload=False,
            )
            self._envs[brand_id] = env
        return env
