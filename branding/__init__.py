"""Brands: who the portal looks like for a given host or customer (DESIGN.md §5, §6.7).

Branding is data (brand.toml files, overlaid with the versions published in the directory:
names, colours and typography → CSS variables, logos, favicon, support contacts, legal and
report texts) plus a Jinja loader chain (brand templates → parent brand → base templates). Code
never asks `if brand == …`.
"""

from branding.documents import document_context, email_headers
from branding.fields import FieldError, validate_record_fields
from branding.loader import BrandEnvironments, jinja_loader
from branding.model import TYPOGRAPHY, Brand, BrandError, brand_css
from branding.registry import BUILTIN_BRANDS_DIR, BrandRegistry, PublishedBrand

__all__ = [
    "BUILTIN_BRANDS_DIR",
    "TYPOGRAPHY",
    "Brand",
    "BrandEnvironments",
    "BrandError",
    "BrandRegistry",
    "FieldError",
    "PublishedBrand",
    "brand_css",
    "document_context",
    "email_headers",
    "jinja_loader",
    "validate_record_fields",
]
