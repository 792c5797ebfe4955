"""The outbound objects besides policies (policy.py): lines, groups and account codes, parsed
from the JSON the API takes. Each parser raises `DocumentError(field, message)`.

* A **line** is one user's extension or phone line at the switch: its number (E.164 — the SIP
  identity the PBX presents as the caller), optionally the directory user it belongs to, a
  label, a group, its own policy (else the group's, else the customer's `default`), and the
  policy an authorization code lifts it to for one call (`elevated`). The code itself is set
  apart (codes.py hashes it; the API never returns it).
* A **group** gives its lines a policy ("sales", "lobby phones").
* An **account code** is a project or client code users key for chargeback (4 to 12 digits, what
  a keypad sends; codes.py); the CDR carries it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resources.kit.errors import FieldError
from resources.outbound.codes import CodeError, parse_code

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
NAME_HINT = "1 to 40 lowercase letters, digits or dashes, starting with a letter or digit, like sales"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_TEXT = 200
MAX_ID = 64


class DocumentError(FieldError):
    """An object that cannot be stored; `field` names the part of the input."""


@dataclass(frozen=True)
class Line:
    number: str
    label: str = ""
    user_id: str | None = None
    group: str | None = None
    policy: str | None = None
    elevated: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "label": self.label,
            "user_id": self.user_id,
            "group": self.group,
            "policy": self.policy,
            "elevated": self.elevated,
        }

    def names(self) -> dict[str, str]:
        """The other objects it refers to: field → policy or group name."""
        refs = {"group": self.group, "policy": self.policy, "elevated": self.elevated}
        return {f: n for f, n in refs.items() if n is not None}


@dataclass(frozen=True)
class Group:
    name: str
    policy: str
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "policy": self.policy, "description": self.description}


@dataclass(frozen=True)
class AccountCode:
    code: str
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "description": self.description}


def _object(raw: Any, what: str, fields: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise DocumentError(what, f"must be an object with {', '.join(sorted(fields))}")
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise DocumentError(what, f"unknown field {unknown[0]!r}")
    return raw


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise DocumentError(key, f"must be text of at most {MAX_TEXT} characters")
    return value.strip()


def parse_name(value: Any, field: str) -> str:
    """A policy or group name, or DocumentError naming `field`."""
    if not isinstance(value, str) or not NAME.match(value):
        raise DocumentError(field, NAME_HINT)
    return value


def _optional_name(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None or value == "" else parse_name(value, key)


def parse_line(raw: Any) -> Line:
    """`{"number": "+13125550142", "label": "Bob, sales", "user_id": "…", "group": "sales",
    "policy": null, "elevated": "international"}`."""
    data = _object(raw, "line", {"number", "label", "user_id", "group", "policy", "elevated"})
    number = data.get("number")
    if not isinstance(number, str) or not E164.match(number):
        raise DocumentError("number", "must be the line's number in E.164 form, like +13125550142")
    user_id = data.get("user_id")
    if user_id is not None and (not isinstance(user_id, str) or not 0 < len(user_id) <= MAX_ID):
        raise DocumentError("user_id", f"must be a directory user id (at most {MAX_ID} characters) or null")
    return Line(
        number=number,
        label=_text(data, "label"),
        user_id=user_id,
        group=_optional_name(data, "group"),
        policy=_optional_name(data, "policy"),
        elevated=_optional_name(data, "elevated"),
    )


def parse_group(raw: Any) -> Group:
    data = _object(raw, "group", {"name", "policy", "description"})
    return Group(
        name=parse_name(data.get("name"), "name"),
        policy=parse_name(data.get("policy"), "policy"),
        description=_text(data, "description"),
    )


def parse_account_code(raw: Any) -> AccountCode:
    data = _object(raw, "account code", {"code", "description"})
    try:
        code = parse_code(data.get("code"))
    except CodeError as exc:
        raise DocumentError(exc.field, exc.message) from None
    return AccountCode(code=code, description=_text(data, "description"))
