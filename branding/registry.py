"""Loading, validating and looking up brands (`<dir>/<brand_id>/brand.toml`)."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from branding.model import Brand, BrandError

BUILTIN_BRANDS_DIR = Path(__file__).resolve().parent / "brands"
DEFAULT_BRAND = "default"
# Every root brand (the one without a parent) must define these; children may override any.
REQUIRED_COLOURS = (
    "primary",
    "on-primary",
    "accent",
    "bg",
    "surface",
    "text",
    "muted",
    "border",
    "focus",
    "danger",
    "success",
    "warning",
)

_ID = re.compile(r"[a-z][a-z0-9-]{0,39}")
_COLOUR_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_KEYS = {"id", "name", "hosts", "parent", "colours", "logo", "support_email", "product_name"}


@dataclass(frozen=True)
class _Raw:
    path: Path
    id: str
    name: str
    hosts: tuple[str, ...]
    parent: str | None
    colours: dict[str, str]
    logo: str | None
    support_email: str | None
    product_name: str | None


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in host.split("."))


def normalise_host(host: str) -> str:
    """`Host` header value → bare lowercase host name (port, brackets and trailing dot removed)."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8443
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _opt_str(path: Path, data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BrandError(f"{path}: '{key}' must be a non-empty string")
    return value.strip()


def _parse(path: Path) -> _Raw:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BrandError(f"{path}: cannot read brand file: {exc}") from exc
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise BrandError(f"{path}: unknown key(s) {', '.join(unknown)}")
    dir_id = path.parent.name
    brand_id = data.get("id", dir_id)
    if brand_id != dir_id:
        raise BrandError(f"{path}: id {brand_id!r} does not match its directory name {dir_id!r}")
    if not isinstance(brand_id, str) or not _ID.fullmatch(brand_id):
        raise BrandError(f"{path}: brand id {brand_id!r} must match [a-z][a-z0-9-]*")
    name = _opt_str(path, data, "name")
    if name is None:
        raise BrandError(f"{path}: 'name' is required")
    hosts_raw = data.get("hosts", [])
    if not isinstance(hosts_raw, list) or not all(isinstance(h, str) for h in hosts_raw):
        raise BrandError(f"{path}: 'hosts' must be a list of host names")
    hosts = tuple(h.strip().lower() for h in hosts_raw)
    for host in hosts:
        if not _valid_host(host):
            raise BrandError(f"{path}: invalid host name {host!r}")
    colours_raw = data.get("colours", {})
    if not isinstance(colours_raw, dict):
        raise BrandError(f"{path}: 'colours' must be a table")
    colours: dict[str, str] = {}
    for key, value in colours_raw.items():
        if not _COLOUR_NAME.fullmatch(key):
            raise BrandError(f"{path}: invalid colour name {key!r}")
        if not isinstance(value, str) or not _HEX.fullmatch(value):
            raise BrandError(f"{path}: colour {key!r} must be #rrggbb, got {value!r}")
        colours[key] = value.lower()
    logo = _opt_str(path, data, "logo")
    if logo is not None and (logo.startswith("/") or ".." in Path(logo).parts or "\\" in logo):
        raise BrandError(f"{path}: logo must be a file name inside the brand's static/ directory")
    if logo is not None and not (path.parent / "static" / logo).is_file():
        raise BrandError(f"{path}: logo file static/{logo} does not exist")
    email = _opt_str(path, data, "support_email")
    if email is not None and not _EMAIL.fullmatch(email):
        raise BrandError(f"{path}: invalid support_email {email!r}")
    parent = _opt_str(path, data, "parent")
    if parent is None and brand_id != DEFAULT_BRAND:
        parent = DEFAULT_BRAND
    if parent == brand_id:
        raise BrandError(f"{path}: brand {brand_id!r} cannot be its own parent")
    return _Raw(
        path=path,
        id=brand_id,
        name=name,
        hosts=hosts,
        parent=parent,
        colours=colours,
        logo=logo,
        support_email=email,
        product_name=_opt_str(path, data, "product_name"),
    )


class BrandRegistry:
    """All known brands, resolved (parents' values inherited) and indexed by id and host."""

    def __init__(self, brands: Mapping[str, Brand]) -> None:
        if DEFAULT_BRAND not in brands:
            raise BrandError("no 'default' brand defined")
        self._brands = dict(brands)
        self._by_host = {host: b for b in brands.values() for host in b.hosts}

    @classmethod
    def load(cls, dirs: Sequence[Path]) -> BrandRegistry:
        raws: dict[str, _Raw] = {}
        for base in dirs:
            if not base.is_dir():
                raise BrandError(f"{base}: brands directory does not exist")
            for path in sorted(base.glob("*/brand.toml")):
                raw = _parse(path)
                if raw.id in raws:
                    raise BrandError(f"{path}: brand {raw.id!r} is already defined in {raws[raw.id].path}")
                raws[raw.id] = raw
        if DEFAULT_BRAND not in raws:
            raise BrandError(f"no 'default' brand in {', '.join(str(d) for d in dirs)}")
        seen_hosts: dict[str, _Raw] = {}
        for raw in raws.values():
            if raw.parent is not None and raw.parent not in raws:
                raise BrandError(f"{raw.path}: unknown parent brand {raw.parent!r}")
            for host in raw.hosts:
                if host in seen_hosts:
                    raise BrandError(f"{raw.path}: host {host!r} is already used by {seen_hosts[host].path}")
                seen_hosts[host] = raw
        return cls({brand_id: _resolve(brand_id, raws) for brand_id in raws})

    def get(self, brand_id: str) -> Brand:
        try:
            return self._brands[brand_id]
        except KeyError:
            raise KeyError(f"unknown brand {brand_id!r}") from None

    def find(self, brand_id: str | None) -> Brand:
        """Like `get`, but an unknown or missing id falls back to the default brand."""
        return self._brands.get(brand_id or DEFAULT_BRAND) or self._brands[DEFAULT_BRAND]

    @property
    def default(self) -> Brand:
        return self._brands[DEFAULT_BRAND]

    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._brands))

    def for_host(self, host: str | None) -> Brand:
        if not host:
            return self.default
        return self._by_host.get(normalise_host(host), self.default)

    def chain(self, brand_id: str) -> list[Brand]:
        """[brand, parent, …, default]."""
        out = [self.get(brand_id)]
        while out[-1].parent is not None:
            out.append(self._brands[out[-1].parent])
        return out

    def static_file(self, brand_id: str, name: str) -> Path | None:
        """A file from `static/` of the brand or its nearest ancestor that has it; None for
        unknown brands, missing files or any path that would leave the static dir."""
        if brand_id not in self._brands or not name or name.startswith("/") or "\\" in name:
            return None
        if any(part in {"", ".", ".."} for part in name.split("/")):
            return None
        for brand in self.chain(brand_id):
            root = brand.static_dir.resolve()
            candidate = (root / name).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None


def _resolve(brand_id: str, raws: Mapping[str, _Raw]) -> Brand:
    lineage: list[_Raw] = []
    current: str | None = brand_id
    while current is not None:
        raw = raws[current]
        if raw.id in {r.id for r in lineage}:
            cycle = " -> ".join(r.id for r in [*lineage, raw])
            raise BrandError(f"{raws[brand_id].path}: parent cycle {cycle}")
        lineage.append(raw)
        current = raw.parent
    root = lineage[-1]
    missing = [c for c in REQUIRED_COLOURS if c not in root.colours]
    if missing:
        raise BrandError(f"{root.path}: root brand is missing colour(s) {', '.join(missing)}")
    colours: dict[str, str] = {}
    for raw in reversed(lineage):
        colours.update(raw.colours)

    def inherit(attr: str) -> Any:
        return next((getattr(r, attr) for r in lineage if getattr(r, attr) is not None), None)

    logo_owner = next((r.id for r in lineage if r.logo is not None), None)
    own = lineage[0]
    return Brand(
        id=own.id,
        name=own.name,
        hosts=own.hosts,
        parent=own.parent,
        colours=MappingProxyType(colours),
        logo=inherit("logo"),
        support_email=inherit("support_email") or "support@example.invalid",
        product_name=inherit("product_name") or own.name,
        directory=own.path.parent,
        logo_owner=logo_owner,
    )
