"""The editable brand fields: one validator per field, shared by `brand.toml` files and the
published records the directory hands out (whitelabel contract "Brand fields").

Every validator takes the raw value and returns the normalised one or raises `FieldError` with
a message that names the field. Asset references are checked for *shape* here; whether a file
name exists in a brand's `static/` dir is the file loader's business.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any

from branding.model import TYPOGRAPHY

TEXT_MAX = 500  # legal_footer, report_header, report_footer
NAME_MAX = 120  # name, product_name, email_from_name
ASSET_FIELDS = ("logo_light", "logo_dark", "favicon")
TEXT_FIELDS = ("legal_footer", "report_header", "report_footer")
# Everything a brand may set besides its id (hosts and parent are set by the file or the record).
FIELDS = (
    "name",
    "product_name",
    "hosts",
    "colours",
    "typography",
    *ASSET_FIELDS,
    "support_email",
    "support_phone",
    "support_url",
    "email_from_name",
    "email_from_address",
    *TEXT_FIELDS,
)

ASSET_REF = re.compile(r"asset:([0-9a-f]{64})")
_COLOUR_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_EMAIL = re.compile(r"[^@\s<>\"(),;:\\]+@[^@\s<>\"(),;:\\]+\.[^@\s<>\"(),;:\\]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{2,30}")
_URL = re.compile(r"https://[^\s\"'<>\\]{3,300}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class FieldError(ValueError):
    """One field's value is invalid; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    return len(host) <= 253 and all(_LABEL.fullmatch(label) for label in host.split("."))


def _line(field: str, limit: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise FieldError(field, f"'{field}' must be a non-empty string")
        text = str(value).strip()
        if _CONTROL.search(text):
            raise FieldError(field, f"'{field}' must be a single line of text")
        if len(text) > limit:
            raise FieldError(field, f"'{field}' must be at most {limit} characters")
        return text

    return check


def _text(field: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise FieldError(field, f"'{field}' must be a non-empty string")
        text = str(value).strip().replace("\r\n", "\n")
        if _CONTROL_EXCEPT_NEWLINE.search(text):
            raise FieldError(field, f"'{field}' must be plain text")
        if len(text) > TEXT_MAX:
            raise FieldError(field, f"'{field}' must be at most {TEXT_MAX} characters")
        return text

    return check


def _email(field: str) -> Callable[[Any], str]:
    line = _line(field, 254)

    def check(value: Any) -> str:
        text = line(value)
        if not _EMAIL.fullmatch(text):
            raise FieldError(field, f"invalid {field} {text!r}")
        return text

    return check


def _hosts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(h, str) for h in value):
        raise FieldError("hosts", "'hosts' must be a list of host names")
    hosts = tuple(h.strip().lower() for h in value)
    for host in hosts:
        if not valid_host(host):
            raise FieldError("hosts", f"invalid host name {host!r}")
    if len(set(hosts)) != len(hosts):
        raise FieldError("hosts", "'hosts' lists a host twice")
    return hosts


def _colours(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise FieldError("colours", "'colours' must be a table")
    colours: dict[str, str] = {}
    for key, colour in value.items():
        if not isinstance(key, str) or not _COLOUR_NAME.fullmatch(key):
            raise FieldError("colours", f"invalid colour name {key!r}")
        if key == "font":
            raise FieldError("colours", "colour name 'font' is reserved (typography sets --brand-font)")
        if not isinstance(colour, str) or not _HEX.fullmatch(colour):
            raise FieldError("colours", f"colour {key!r} must be #rrggbb, got {colour!r}")
        colours[key] = colour.lower()
    return colours


def _typography(value: Any) -> str:
    if value not in TYPOGRAPHY:
        raise FieldError("typography", f"'typography' must be one of {', '.join(TYPOGRAPHY)}, got {value!r}")
    return str(value)


def _asset(field: str) -> Callable[[Any], str]:
    line = _line(field, 200)

    def check(value: Any) -> str:
        text = line(value)
        if text.startswith("asset:"):
            if not ASSET_REF.fullmatch(text):
                raise FieldError(field, f"'{field}' must be asset:<sha256 as 64 hex digits>")
            return text
        if text.startswith("/") or "\\" in text or any(p in {"", ".", ".."} for p in text.split("/")):
            raise FieldError(field, f"{field} must be a file name inside the brand's static/ directory")
        return text

    return check


def _url(value: Any) -> str:
    text = _line("support_url", 300)(value)
    if not _URL.fullmatch(text):
        raise FieldError("support_url", f"'support_url' must be an https:// address, got {text!r}")
    return text


def _phone(value: Any) -> str:
    text = _line("support_phone", 32)(value)
    if not _PHONE.fullmatch(text):
        raise FieldError("support_phone", f"invalid support_phone {text!r}")
    return text


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "name": _line("name", NAME_MAX),
    "product_name": _line("product_name", NAME_MAX),
    "hosts": _hosts,
    "colours": _colours,
    "typography": _typography,
    **{f: _asset(f) for f in ASSET_FIELDS},
    "logo": _asset("logo"),  # brand.toml's older name for logo_light
    "support_email": _email("support_email"),
    "support_phone": _phone,
    "support_url": _url,
    "email_from_name": _line("email_from_name", NAME_MAX),
    "email_from_address": _email("email_from_address"),
    **{f: _text(f) for f in TEXT_FIELDS},
}


def validate_field(field: str, value: Any) -> Any:
    try:
        check = VALIDATORS[field]
    except KeyError:
        raise FieldError(field, f"unknown brand field {field!r}") from None
    return check(value)


def validate_record_fields(fields: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A published record's (or a draft's) fields → (the valid ones normalised, errors as
    `[{"field", "message"}]`). Asset fields of records must be `asset:<sha256>` references:
    uploaded brands never name files on the gateway's disk."""
    valid: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for field, value in fields.items():
        if value is None:
            continue  # "not overridden"
        if field not in FIELDS:
            errors.append({"field": str(field), "message": f"unknown brand field {field!r}"})
            continue
        try:
            normal = validate_field(field, value)
            if field in ASSET_FIELDS and not ASSET_REF.fullmatch(normal):
                raise FieldError(field, f"'{field}' must be asset:<sha256 as 64 hex digits>")
        except FieldError as exc:
            errors.append({"field": exc.field, "message": str(exc)})
            continue
        valid[field] = normal
    return valid, errors


def asset_sha256(ref: str | None) -> str | None:
    """The sha256 of an `asset:<sha256>` reference; None for file names and None."""
    found = ASSET_REF.fullmatch(ref) if ref else None
    return found.group(1) if found else None
