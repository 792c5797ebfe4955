"""Loading, validating and looking up brands.

Two sources, one resolution: built-in (and extra) brand directories (`<dir>/<id>/brand.toml`,
with `static/` files and `templates/` overrides) and the brand versions published in the
directory (`BrandRegistry.with_published(records)`: a record overlays the file brand of the same
id, or defines a new brand under its `parent_brand`). Every brand inherits what it does not set
from its parent, up to `default`.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from branding.fields import ASSET_FIELDS, FIELDS, FieldError, validate_field, validate_record_fields
from branding.model import Brand, BrandError

log = logging.getLogger("branding")

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
FALLBACK_SUPPORT_EMAIL = "support@example.invalid"
FALLBACK_FROM_ADDRESS = "no-reply@example.invalid"

_ID = re.compile(r"[a-z][a-z0-9-]{0,39}")
_TOML_KEYS = {"id", "parent", "logo", *FIELDS}  # `logo` = the older name of `logo_light`


@dataclass(frozen=True)
class _Raw:
    """One brand's own definition (before inheritance): validated field values it sets."""

    id: str
    parent: str | None
    values: Mapping[str, Any]
    origin: str  # for messages: the brand.toml path or "published brand <id> v<n>"
    path: Path | None = None  # brand.toml (None for brands that exist only as records)
    version: int | None = None


@dataclass(frozen=True, kw_only=True)
class PublishedBrand:
    """One PUBLISHED brand version as `GET /internal/brands` lists it. `parent_brand` is the
    brand this org inherits from; None marks the provider's own record (it overlays `default`)."""

    org_id: str
    parent_brand: str | None
    version: int
    fields: Mapping[str, Any] = field(hash=False)
    brand: str | None = None  # the record's `brand_id` when the directory names it

    @property
    def brand_id(self) -> str:
        if self.brand is not None:
            return self.brand
        return DEFAULT_BRAND if self.parent_brand is None else self.org_id

    @classmethod
    def from_json(cls, data: Any) -> PublishedBrand:
        if not isinstance(data, Mapping):
            raise ValueError("a brand record must be an object")
        org_id, parent, version, fields = (
            data.get(k) for k in ("org_id", "parent_brand", "version", "fields")
        )
        if not isinstance(org_id, str) or not _ID.fullmatch(org_id):
            raise ValueError(f"brand record: invalid org_id {org_id!r}")
        if parent is not None and (not isinstance(parent, str) or not _ID.fullmatch(parent)):
            raise ValueError(f"brand record {org_id}: invalid parent_brand {parent!r}")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"brand record {org_id}: invalid version {version!r}")
        if not isinstance(fields, Mapping):
            raise ValueError(f"brand record {org_id}: 'fields' must be an object")
        brand = data.get("brand_id")
        if brand is not None and (not isinstance(brand, str) or not _ID.fullmatch(brand)):
            raise ValueError(f"brand record {org_id}: invalid brand_id {brand!r}")
        if brand == parent:
            raise ValueError(f"brand record {org_id}: brand {brand!r} cannot be its own parent")
        return cls(org_id=org_id, parent_brand=parent, version=version, fields=dict(fields), brand=brand)


def normalise_host(host: str) -> str:
    """`Host` header value → bare lowercase host name (port, brackets and trailing dot removed)."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8443
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _parse(path: Path) -> _Raw:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BrandError(f"{path}: cannot read brand file: {exc}") from exc
    unknown = sorted(set(data) - _TOML_KEYS)
    if unknown:
        raise BrandError(f"{path}: unknown key(s) {', '.join(unknown)}")
    dir_id = path.parent.name
    brand_id = data.get("id", dir_id)
    if brand_id != dir_id:
        raise BrandError(f"{path}: id {brand_id!r} does not match its directory name {dir_id!r}")
    if not isinstance(brand_id, str) or not _ID.fullmatch(brand_id):
        raise BrandError(f"{path}: brand id {brand_id!r} must match [a-z][a-z0-9-]*")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in {"id", "parent"}:
            continue
        try:
            values["logo_light" if key == "logo" else key] = validate_field(key, value)
        except FieldError as exc:
            raise BrandError(f"{path}: {exc}") from None
    if "name" not in values:
        raise BrandError(f"{path}: 'name' is required")
    for key in ASSET_FIELDS:
        ref = values.get(key)
        label = "logo" if key == "logo_light" and "logo" in data else key
        if ref is not None and not ref.startswith("asset:") and not (path.parent / "static" / ref).is_file():
            raise BrandError(f"{path}: {label} file static/{ref} does not exist")
    parent = data.get("parent")
    if parent is not None and (not isinstance(parent, str) or not parent.strip()):
        raise BrandError(f"{path}: 'parent' must be a non-empty string")
    if parent is None and brand_id != DEFAULT_BRAND:
        parent = DEFAULT_BRAND
    if parent == brand_id:
        raise BrandError(f"{path}: brand {brand_id!r} cannot be its own parent")
    return _Raw(id=brand_id, parent=parent, values=values, origin=str(path), path=path)


class BrandRegistry:
    """All known brands, resolved (parents' values inherited) and indexed by id and host."""

    def __init__(self, brands: Mapping[str, Brand], *, _raws: Mapping[str, _Raw] | None = None) -> None:
        if DEFAULT_BRAND not in brands:
            raise BrandError("no 'default' brand defined")
        self._brands = dict(brands)
        self._by_host = {host: b for b in brands.values() for host in b.hosts}
        self._raws = dict(_raws or {})

    @classmethod
    def load(cls, dirs: Sequence[Path]) -> BrandRegistry:
        raws: dict[str, _Raw] = {}
        for base in dirs:
            if not base.is_dir():
                raise BrandError(f"{base}: brands directory does not exist")
            for path in sorted(base.glob("*/brand.toml")):
                raw = _parse(path)
                if raw.id in raws:
                    raise BrandError(f"{path}: brand {raw.id!r} is already defined in {raws[raw.id].origin}")
                raws[raw.id] = raw
        if DEFAULT_BRAND not in raws:
            raise BrandError(f"no 'default' brand in {', '.join(str(d) for d in dirs)}")
        seen_hosts: dict[str, _Raw] = {}
        for raw in raws.values():
            if raw.parent is not None and raw.parent not in raws:
                raise BrandError(f"{raw.origin}: unknown parent brand {raw.parent!r}")
            for host in raw.values.get("hosts", ()):
                if host in seen_hosts:
                    raise BrandError(
                        f"{raw.origin}: host {host!r} is already used by {seen_hosts[host].origin}"
                    )
                seen_hosts[host] = raw
        return cls._build(raws)

    @classmethod
    def _build(cls, raws: Mapping[str, _Raw]) -> BrandRegistry:
        return cls({brand_id: _resolve(brand_id, raws) for brand_id in raws}, _raws=raws)

    def with_published(self, records: Iterable[PublishedBrand]) -> BrandRegistry:
        """A new registry: these file brands overlaid with the published records. Never raises
        for bad record data: an invalid field, a host another brand owns, an unknown parent or a
        parent cycle is logged and left out (the file brand, or the parent's value, stays)."""
        if not self._raws:
            raise BrandError("this registry was not loaded from brand files")
        files = self._raws
        raws = dict(files)
        owned = {h: raw.id for raw in files.values() for h in raw.values.get("hosts", ())}
        ordered = sorted(records, key=lambda r: (r.parent_brand is not None, r.org_id))
        seen: set[str] = set()
        for record in ordered:
            brand_id = record.brand_id
            if brand_id in seen:
                log.warning("published brand %s listed twice; v%s ignored", brand_id, record.version)
                continue
            seen.add(brand_id)
            fields, errors = validate_record_fields(record.fields)
            origin = f"published brand {brand_id} v{record.version}"
            for error in errors:
                log.warning("%s: %s ignored: %s", origin, error["field"], error["message"])
            base = files.get(brand_id)
            values = dict(base.values) if base is not None else {}
            colours = {**values.get("colours", {}), **fields.pop("colours", {})}
            values.update(fields)
            if colours:
                values["colours"] = colours
            hosts = [h for h in values.get("hosts", ()) if owned.get(h, brand_id) == brand_id]
            for host in sorted(set(values.get("hosts", ())) - set(hosts)):
                log.warning("%s: host %r is used by brand %r; ignored", origin, host, owned[host])
            for host in hosts:
                owned[host] = brand_id
            values["hosts"] = tuple(hosts)
            parent = None if brand_id == DEFAULT_BRAND else (record.parent_brand or DEFAULT_BRAND)
            raws[brand_id] = _Raw(
                id=brand_id,
                parent=parent,
                values=values,
                origin=origin,
                path=base.path if base is not None else None,
                version=record.version,
            )
        for brand_id, raw in list(raws.items()):
            if raw.parent is not None and (raw.parent not in raws or _cycles(brand_id, raws)):
                log.warning("%s: parent brand %r unknown or circular; using default", raw.origin, raw.parent)
                raws[brand_id] = _Raw(
                    id=raw.id,
                    parent=DEFAULT_BRAND,
                    values=raw.values,
                    origin=raw.origin,
                    path=raw.path,
                    version=raw.version,
                )
        return self._build(raws)

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

    def __contains__(self, brand_id: object) -> bool:
        return brand_id in self._brands

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
            if brand.static_dir is None:
                continue
            root = brand.static_dir.resolve()
            candidate = (root / name).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None


def _cycles(brand_id: str, raws: Mapping[str, _Raw]) -> bool:
    seen: set[str] = set()
    current: str | None = brand_id
    while current is not None and current in raws:
        if current in seen:
            return True
        seen.add(current)
        current = raws[current].parent
    return False


def _resolve(brand_id: str, raws: Mapping[str, _Raw]) -> Brand:
    lineage: list[_Raw] = []
    current: str | None = brand_id
    while current is not None:
        raw = raws[current]
        if raw.id in {r.id for r in lineage}:
            cycle = " -> ".join(r.id for r in [*lineage, raw])
            raise BrandError(f"{raws[brand_id].origin}: parent cycle {cycle}")
        lineage.append(raw)
        current = raw.parent
    root = lineage[-1]
    root_colours = root.values.get("colours", {})
    missing = [c for c in REQUIRED_COLOURS if c not in root_colours]
    if missing:
        raise BrandError(f"{root.origin}: root brand is missing colour(s) {', '.join(missing)}")
    colours: dict[str, str] = {}
    for raw in reversed(lineage):
        colours.update(raw.values.get("colours", {}))

    def inherit(key: str, within: Sequence[_Raw] = lineage) -> Any:
        return next((r.values[key] for r in within if key in r.values), None)

    # The dark logo and the favicon travel with the light logo: a brand that sets its own logo
    # never shows an ancestor's dark logo or favicon (base.html falls back to the light logo).
    light_at = next((i for i, r in enumerate(lineage) if "logo_light" in r.values), len(lineage) - 1)
    near = lineage[: light_at + 1]

    owners = {
        key: r.id
        for key in ASSET_FIELDS
        for r in reversed(near if key != "logo_light" else lineage)
        if key in r.values
    }
    own = lineage[0]
    name = inherit("name") or own.id
    product_name = inherit("product_name") or name
    return Brand(
        id=own.id,
        name=name,
        hosts=tuple(own.values.get("hosts", ())),
        parent=own.parent,
        colours=MappingProxyType(colours),
        product_name=product_name,
        typography=inherit("typography") or "system",
        logo_light=inherit("logo_light"),
        logo_dark=inherit("logo_dark", near),
        favicon=inherit("favicon", near),
        support_email=inherit("support_email") or FALLBACK_SUPPORT_EMAIL,
        support_phone=inherit("support_phone"),
        support_url=inherit("support_url"),
        email_from_name=inherit("email_from_name") or product_name,
        email_from_address=inherit("email_from_address") or FALLBACK_FROM_ADDRESS,
        legal_footer=inherit("legal_footer"),
        report_header=inherit("report_header"),
        report_footer=inherit("report_footer"),
        version=own.version,
        directory=own.path.parent if own.path is not None else None,
        owners=MappingProxyType(owners),
    )
