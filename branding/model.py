"""The Brand value and its CSS rendering."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

# typography → the font stack behind `--brand-font` (no web fonts: CSP and privacy)
TYPOGRAPHY: Mapping[str, str] = MappingProxyType(
    {
        "system": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
        "humanist": 'Seravek, "Gill Sans Nova", Ubuntu, Calibri, "DejaVu Sans", source-sans-pro, sans-serif',
        "serif": 'Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif',
        "mono": (
            'ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, "DejaVu Sans Mono", monospace'
        ),
    }
)
_ASSET = re.compile(r"asset:([0-9a-f]{64})")


class BrandError(ValueError):
    """A brand definition is invalid (the message names the offending file)."""


@dataclass(frozen=True, kw_only=True)
class Brand:
    """One brand, with everything inherited from its parents already resolved.

    `colours` maps a colour name (e.g. "primary") to "#rrggbb"; each becomes the CSS variable
    `--brand-<name>`; `typography` picks the `--brand-font` stack. `logo_light`, `logo_dark` and
    `favicon` are asset references: a file name inside the `static/` dir of the brand named in
    `owners[field]` (built-in brands), or `asset:<sha256>` (uploaded, served from the directory).
    Texts (`legal_footer`, `report_*`) are plain text; templates escape them.
    """

    id: str
    name: str
    hosts: tuple[str, ...]
    parent: str | None
    colours: Mapping[str, str] = field(hash=False)
    product_name: str
    support_email: str
    email_from_name: str
    email_from_address: str
    typography: str = "system"
    logo_light: str | None = None
    logo_dark: str | None = None
    favicon: str | None = None
    support_phone: str | None = None
    support_url: str | None = None
    legal_footer: str | None = None
    report_header: str | None = None
    report_footer: str | None = None
    version: int | None = None  # the published directory version overlaid, None = files only
    directory: Path | None = field(default=None, compare=False, hash=False)  # <brands dir>/<id>
    owners: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def templates_dir(self) -> Path | None:
        return None if self.directory is None else self.directory / "templates"

    @property
    def static_dir(self) -> Path | None:
        return None if self.directory is None else self.directory / "static"

    @property
    def css_url(self) -> str:
        """Versioned by content: a published change reaches every browser on its next page."""
        digest = hashlib.sha256(brand_css(self).encode()).hexdigest()[:12]
        return f"/brand/{self.id}/brand.css?v={digest}"

    @property
    def canonical_host(self) -> str | None:
        return self.hosts[0] if self.hosts else None

    @property
    def logo(self) -> str | None:
        """The light logo (brand.toml's older single `logo`)."""
        return self.logo_light

    def asset_url(self, ref: str | None, *, field_name: str | None = None) -> str | None:
        if ref is None:
            return None
        found = _ASSET.fullmatch(ref)
        if found is not None:
            return f"/brand/{self.id}/assets/{found.group(1)}"
        owner = self.owners.get(field_name, self.id) if field_name else self.id
        return f"/brand/{owner}/static/{ref}"

    @property
    def logo_url(self) -> str | None:
        return self.asset_url(self.logo_light, field_name="logo_light")

    @property
    def logo_dark_url(self) -> str | None:
        return self.asset_url(self.logo_dark, field_name="logo_dark")

    @property
    def favicon_url(self) -> str | None:
        return self.asset_url(self.favicon, field_name="favicon")

    @property
    def favicon_type(self) -> str | None:
        """The `type` of `<link rel="icon">` when it can be told from the file name."""
        ref = self.favicon or ""
        for suffix, kind in ((".svg", "image/svg+xml"), (".png", "image/png"), (".ico", "image/x-icon")):
            if ref.endswith(suffix):
                return kind
        return None

    @property
    def support_tel(self) -> str | None:
        """`support_phone` as a `tel:` URI (digits and a leading +)."""
        if not self.support_phone:
            return None
        digits = "".join(c for c in self.support_phone if c.isdigit())
        return "tel:" + ("+" if self.support_phone.startswith("+") else "") + digits

    def asset_hashes(self) -> frozenset[str]:
        """sha256 of every uploaded asset this brand shows (the only ones /brand/<id>/assets serves)."""
        refs = (self.logo_light, self.logo_dark, self.favicon)
        return frozenset(m.group(1) for r in refs if r and (m := _ASSET.fullmatch(r)))

    @property
    def font_stack(self) -> str:
        return TYPOGRAPHY.get(self.typography, TYPOGRAPHY["system"])

    def css_vars(self) -> dict[str, str]:
        out = {f"--brand-{key}": value for key, value in sorted(self.colours.items())}
        out["--brand-font"] = self.font_stack
        return out


def brand_css(brand: Brand) -> str:
    """The brand's colours and font as a stylesheet (CSP forbids inline styles, so the gateway
    serves this at `Brand.css_url` and base.html links it)."""
    body = ";".join(f"{name}:{value}" for name, value in brand.css_vars().items())
    return f":root{{{body}}}\n"
