"""Brand fields as data (pure): validation of an org's overrides, inheritance, the WCAG contrast
check that blocks a publish and the preview stylesheet (docs/whitelabel-contracts.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from branding.fields import valid_host, validate_record_fields
from branding.model import TYPOGRAPHY as TYPOGRAPHY_STACKS
from branding.model import Brand
from branding.registry import REQUIRED_COLOURS
from resources.directory.schemas import EMAIL, Errors

TEXT_FIELDS = {"name": 120, "product_name": 120, "email_from_name": 120}
LONG_TEXT_FIELDS = ("legal_footer", "report_header", "report_footer")  # plain text, ≤ 500 each
LONG_TEXT_MAX = 500
EMAIL_FIELDS = ("support_email", "email_from_address")
ASSET_FIELDS = {"logo_light": "logo", "logo_dark": "logo", "favicon": "favicon"}  # field → asset kind
COLOUR_NAMES: tuple[str, ...] = REQUIRED_COLOURS
FONT_STACKS = TYPOGRAPHY_STACKS  # typography → font stack, shared with brand.css
TYPOGRAPHY = tuple(FONT_STACKS)
FIELDS = (
    "name", "product_name", "hosts", "colours", "typography", "logo_light", "logo_dark", "favicon",
    "support_email", "support_phone", "support_url", "email_from_name", "email_from_address",
    "legal_footer", "report_header", "report_footer",
)  # fmt: skip
# (foreground colour, background colour, what the pair is) — each must reach WCAG AA 4.5:1.
CONTRAST_PAIRS = (("on-primary", "primary", "Text on primary"), ("text", "bg", "Text on the page background"))
AA_NORMAL = 4.5

PHONE = re.compile(r"\+?[0-9][0-9 ().-]{2,30}")  # shown as written, e.g. +1 800 555 0199
HEX = re.compile(r"#[0-9a-fA-F]{6}")
ASSET_REF = re.compile(r"asset:[0-9a-f]{64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """An org's overrides, normalised; empty values are dropped (= inherit from the parent).
    Raises ValidationFailed with one `{"field", "message"}` per problem."""
    errors = Errors()
    out: dict[str, Any] = {}
    for key in sorted(set(raw) - set(FIELDS)):
        errors.add(key, "Unknown brand field.")
    for key, max_len in TEXT_FIELDS.items():
        if (value := _text(raw, key, errors, max_len=max_len, single_line=True)) is not None:
            out[key] = value
    for key in LONG_TEXT_FIELDS:
        if (value := _text(raw, key, errors, max_len=LONG_TEXT_MAX, single_line=False)) is not None:
            out[key] = value
    for key in EMAIL_FIELDS:
        value = _text(raw, key, errors, max_len=254, single_line=True)
        if value is not None and not EMAIL.fullmatch(value):
            errors.add(key, "Enter an e-mail address like name@example.com.")
        elif value is not None:
            out[key] = value
    phone = _text(raw, "support_phone", errors, max_len=32, single_line=True)
    if phone is not None and not PHONE.fullmatch(phone):
        errors.add(
            "support_phone", "Enter a phone number: digits, spaces, ( ) . - and an optional leading +."
        )
    elif phone is not None:
        out["support_phone"] = phone
    url = _text(raw, "support_url", errors, max_len=300, single_line=True)
    if url is not None and (problem := url_problem(url)):
        errors.add("support_url", problem)
    elif url is not None:
        out["support_url"] = url
    typography = _text(raw, "typography", errors, max_len=20, single_line=True)
    if typography is not None and typography not in FONT_STACKS:
        errors.add("typography", f"Choose one of: {', '.join(TYPOGRAPHY)}.")
    elif typography is not None:
        out["typography"] = typography
    for key in ASSET_FIELDS:
        ref = _text(raw, key, errors, max_len=80, single_line=True)
        if ref is not None and not ASSET_REF.fullmatch(ref):
            errors.add(key, "Upload an image; the value must be asset:<sha256>.")
        elif ref is not None:
            out[key] = ref
    if (colours := _colours(raw.get("colours"), errors)) is not None:
        out["colours"] = colours
    if (hosts := _hosts(raw.get("hosts"), errors)) is not None:
        out["hosts"] = hosts
    if not errors.items:  # the gateway's own check of published records must agree
        for item in validate_record_fields(out)[1]:
            errors.add(item["field"], item["message"])
    errors.raise_if_any()
    return out


def url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "Enter an https:// address."
    if parts.username or parts.password or any(c.isspace() for c in url):
        return "The address must not contain spaces or a user name."
    return None


def _text(raw: Mapping[str, Any], key: str, errors: Errors, *, max_len: int, single_line: bool) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors.add(key, "Must be text.")
        return None
    value = value.strip().replace("\r\n", "\n")
    if len(value) > max_len:
        errors.add(key, f"At most {max_len} characters.")
        return None
    if _CONTROL.search(value) or (single_line and ("\n" in value or "\r" in value)):
        errors.add(
            key, "Must be a single line of text." if single_line else "Must not contain control characters."
        )
        return None
    return value


def _colours(value: Any, errors: Errors) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors.add("colours", "Must be an object of colour name → #rrggbb.")
        return None
    out: dict[str, str] = {}
    for name, colour in sorted(value.items()):
        if name not in COLOUR_NAMES:
            errors.add(f"colours.{name}", f"Unknown colour; use one of: {', '.join(COLOUR_NAMES)}.")
        elif colour is None or colour == "":
            continue
        elif not isinstance(colour, str) or not HEX.fullmatch(colour.strip()):
            errors.add(f"colours.{name}", "Enter a colour as #rrggbb, e.g. #1f4e79.")
        else:
            out[name] = colour.strip().lower()
    return out or None


def _hosts(value: Any, errors: Errors) -> list[str] | None:
    if value is None or value == [] or value == "":
        return None
    items = value.replace(",", "\n").split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(h, str) for h in items):
        errors.add("hosts", "Must be a list of host names.")
        return None
    hosts = list(dict.fromkeys(h.strip().lower().rstrip(".") for h in items if h.strip()))
    for host in hosts:
        if not valid_host(host):
            errors.add("hosts", f"{host!r} is not a valid host name.")
            return None
    if len(hosts) > 10:
        errors.add("hosts", "At most 10 host names.")
        return None
    return hosts or None


def asset_refs(fields: Mapping[str, Any]) -> dict[str, str]:
    """{field: sha256} of the uploaded assets the fields reference."""
    return {k: str(fields[k]).removeprefix("asset:") for k in ASSET_FIELDS if fields.get(k)}


def merge(layers: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Overrides applied top (root brand) first: colours merge by name, everything else replaces."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if key == "colours":
                out["colours"] = {**out.get("colours", {}), **value}
            else:
                out[key] = value
    return out


def builtin_layer(brand: Brand, parent: Brand | None) -> dict[str, Any]:
    """What a built-in (file) brand sets itself, read from the resolved values: what differs from
    its parent's. Its logos become their URLs (`/brand/...`), for display only (never stored)."""
    out: dict[str, Any] = {}
    for key in (*TEXT_FIELDS, *LONG_TEXT_FIELDS, *EMAIL_FIELDS, "support_phone", "support_url", "typography"):
        value = getattr(brand, key, None)
        if value is not None and (parent is None or getattr(parent, key, None) != value):
            out[key] = value
    parent_colours: Mapping[str, str] = parent.colours if parent is not None else {}
    if own := {k: v for k, v in brand.colours.items() if parent_colours.get(k) != v}:
        out["colours"] = own
    for key in ASSET_FIELDS:
        url = brand.asset_url(getattr(brand, key, None), field_name=key)
        if url is not None and (
            parent is None or url != parent.asset_url(getattr(parent, key, None), field_name=key)
        ):
            out[key] = url
    return out


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of #rrggbb."""

    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_problems(colours: Mapping[str, str]) -> list[dict[str, str]]:
    """One error per CONTRAST_PAIRS entry below AA (ratio shown rounded down, never flattering)."""
    out: list[dict[str, str]] = []
    for fg, bg, what in CONTRAST_PAIRS:
        if fg not in colours or bg not in colours:
            continue
        ratio = contrast(colours[fg], colours[bg])
        if ratio < AA_NORMAL:
            shown = math.floor(ratio * 100) / 100
            out.append({
                "field": f"colours.{fg}",
                "message": f"{what} ({colours[fg]} on {colours[bg]}) has a contrast of {shown:.2f}:1; "
                f"WCAG AA needs at least {AA_NORMAL}:1.",
            })  # fmt: skip
    return out


def preview_css(values: Mapping[str, Any], *, selector: str = ".brand-preview") -> str:
    """The draft's variables on `selector` (the portal's --c-* are re-pointed too, since they
    were computed on :root). Values are validated hex colours and fixed font stacks only."""
    colours: Mapping[str, str] = values.get("colours", {})
    decls: list[str] = []
    for name in sorted(colours):
        if name in COLOUR_NAMES and HEX.fullmatch(colours[name]):
            decls += [f"--brand-{name}:{colours[name]}", f"--c-{name}:{colours[name]}"]
    stack = FONT_STACKS.get(str(values.get("typography") or "system"), FONT_STACKS["system"])
    decls += [f"--brand-font:{stack}", "font-family:var(--brand-font)"]
    decls += ["color:var(--c-text)", "background:var(--c-bg)"]
    return f"{selector}{{{';'.join(decls)}}}\n"


def form_fields(
    form: Mapping[str, str], *, current: Mapping[str, Any], colour_names: Sequence[str]
) -> dict[str, Any]:
    """An editor form post → the raw overrides `parse_fields` takes. Colours: the hex text input
    `colour-<name>` wins when edited, else the picker `pick-<name>` when moved away from the value
    the page showed (`was-<name>`); an emptied text input removes the override (inherit)."""
    raw: dict[str, Any] = {k: form.get(k, "") for k in FIELDS if k not in ("colours", "hosts")}
    for key in ASSET_FIELDS:
        if form.get(f"clear-{key}"):
            raw[key] = ""
    if "hosts" in form:
        raw["hosts"] = form["hosts"]
    elif current.get("hosts"):
        raw["hosts"] = current["hosts"]
    own: Mapping[str, str] = current.get("colours", {})
    colours: dict[str, str] = {}
    for name in colour_names:
        text, pick, was = (form.get(f"{p}-{name}", "").strip().lower() for p in ("colour", "pick", "was"))
        if text and text != was:
            colours[name] = text
        elif pick and was and pick != was:
            colours[name] = pick
        elif text and name in own:
            colours[name] = text
    raw["colours"] = colours
    return raw
