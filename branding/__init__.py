"""Brands: who the portal looks like for a given host or customer (DESIGN.md §5, §6.7).

Branding is data (brand.toml: names, colours → CSS variables, logo) plus a Jinja loader chain
(brand templates → parent brand → base templates). Code never asks `if brand == …`.
"""

from branding.loader import BrandEnvironments, jinja_loader
from branding.model import Brand, BrandError, brand_css
from branding.registry import BUILTIN_BRANDS_DIR, BrandRegistry

__all__ = [
    "BUILTIN_BRANDS_DIR",
    "Brand",
    "BrandEnvironments",
    "BrandError",
    "BrandRegistry",
    "brand_css",
    "jinja_loader",
]
