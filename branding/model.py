"""The Brand value and its CSS rendering."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class BrandError(ValueError):
    """A brand definition is invalid (the message names the offending file)."""


@dataclass(frozen=True, kw_only=True)
class Brand:
    """One brand, with everything inherited from its parents already resolved.

    `colours` maps a colour name (e.g. "primary") to "#rrggbb"; each becomes the CSS variable
    `--brand-<name>`. `logo` is a file name inside the brand's (or a parent's) `static/` dir.
    """

    id: str
    name: str
    hosts: tuple[str, ...]
    parent: str | None
    colours: Mapping[str, str] = field(hash=False)
    logo: str | None
    support_email: str
    product_name: str
    directory: Path = field(compare=False, hash=False)  # <brands dir>/<id>
    logo_owner: str | None = None  # id of the brand whose static dir holds `logo`

    @property
    def templates_dir(self) -> Path:
        return self.directory / "templates"

    @property
    def static_dir(self) -> Path:
        return self.directory / "static"

    @property
    def css_url(self) -> str:
        return f"/brand/{self.id}/brand.css"

    @property
    def logo_url(self) -> str | None:
        if self.logo is None:
            return None
        return f"/brand/{self.logo_owner or self.id}/static/{self.logo}"

    def css_vars(self) -> dict[str, str]:
        return {f"--brand-{key}": value for key, value in sorted(self.colours.items())}


def brand_css(brand: Brand) -> str:
    """The brand's colours as a stylesheet (CSP forbids inline styles, so the gateway serves
    this at `Brand.css_url` and base.html links it)."""
    body = ";".join(f"{name}:{value}" for name, value in brand.css_vars().items())
    return f":root{{{body}}}\n"
