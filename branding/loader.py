"""The Jinja loader chain: brand templates (brand → parent → …) first, then the base loaders.

A template name prefixed "default:" skips every brand override and loads from the base loaders,
so a brand's `base.html` can `{% extends "default:base.html" %}` and change only some blocks
(datasette's pattern).
"""

from __future__ import annotations

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

from branding.registry import BrandRegistry


def jinja_loader(registry: BrandRegistry, brand_id: str, base: list[BaseLoader]) -> BaseLoader:
    base_choice = ChoiceLoader(list(base))
    brand_dirs = [b.templates_dir for b in registry.chain(brand_id) if b.templates_dir.is_dir()]
    loaders: list[BaseLoader] = [PrefixLoader({"default": base_choice}, delimiter=":")]
    if brand_dirs:
        loaders.append(FileSystemLoader(brand_dirs))
    loaders.append(base_choice)
    return ChoiceLoader(loaders)
