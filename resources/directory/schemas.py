"""Input validation (JSON bodies and HTML forms share it) and JSON output shapes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from resources.directory.models import ApiToken, AuditRow, Role, User
from resources.kit.caller import Entitlement
from resources.kit.errors import ValidationFailed

USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
ACTION = re.compile(r"[a-z]+:[a-z][a-z-]*")
MAX_PASSWORD = 1024


class Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


def _text(
    raw: Mapping[str, Any], key: str, errors: Errors, *, required: bool, max_len: int = 200
) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(key, "This field is required.")
        return None
    if not isinstance(value, str):
        errors.add(key, "Must be text.")
        return None
    value = value.strip()
    if len(value) > max_len:
        errors.add(key, f"At most {max_len} characters.")
        return None
    return value


def password_problems(password: str, *, username: str, min_length: int) -> str | None:
    if len(password) < min_length:
        return f"Use at least {min_length} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    if password.strip().lower() == username.lower():
        return "The password must not be the username."
    return None


@dataclass(frozen=True, kw_only=True)
class Profile:
    display_name: str | None
    email: str | None
    phone: str | None


def _profile(raw: Mapping[str, Any], errors: Errors, *, name_required: bool) -> Profile:
    email = _text(raw, "email", errors, required=False, max_len=254)
    if email is not None and not EMAIL.fullmatch(email):
        errors.add("email", "Enter an email address like name@example.com.")
    phone = _text(raw, "phone", errors, required=False, max_len=16)
    if phone is not None and not E164.fullmatch(phone):
        errors.add("phone", "Enter the number in E.164 form, e.g. +441632960001.")
    return Profile(
        display_name=_text(raw, "display_name", errors, required=name_required), email=email, phone=phone
    )


@dataclass(frozen=True, kw_only=True)
class NewUser:
    username: str
    display_name: str
    email: str | None
    phone: str | None
    org_id: str | None
    password: str | None  # None: generate a temporary one
    roles: tuple[str, ...]


def parse_new_user(raw: Mapping[str, Any], *, min_password_length: int) -> NewUser:
    errors = Errors()
    username = _text(raw, "username", errors, required=True, max_len=64)
    if username is not None:
        username = username.lower()
        if not USERNAME.fullmatch(username):
            errors.add("username", "Use 2 to 64 characters: lowercase letters, digits and . _ @ -")
    profile = _profile(raw, errors, name_required=False)
    org_id = _text(raw, "org_id", errors, required=False, max_len=64)
    password = raw.get("password") or None
    if password is not None:
        if not isinstance(password, str):
            errors.add("password", "Must be text.")
        elif username is not None and (
            p := password_problems(password, username=username, min_length=min_password_length)
        ):
            errors.add("password", p)
    roles = _str_list(raw, "roles", errors) or ()
    errors.raise_if_any()
    assert username is not None
    return NewUser(
        username=username,
        display_name=profile.display_name or username,
        email=profile.email,
        phone=profile.phone,
        org_id=org_id,
        password=password,
        roles=tuple(roles),
    )


@dataclass(frozen=True, kw_only=True)
class UserPatch:
    profile: Profile
    fields: frozenset[str]  # which of display_name/email/phone/disabled were sent
    disabled: bool | None


def parse_user_patch(raw: Mapping[str, Any]) -> UserPatch:
    errors = Errors()
    allowed = {"display_name", "email", "phone", "disabled"}
    for key in sorted(set(raw) - allowed):
        errors.add(key, "Unknown field.")
    profile = _profile(raw, errors, name_required="display_name" in raw)
    disabled = raw.get("disabled")
    if disabled is not None and not isinstance(disabled, bool):
        errors.add("disabled", "Must be true or false.")
    errors.raise_if_any()
    return UserPatch(profile=profile, fields=frozenset(raw) & allowed, disabled=disabled)


def _str_list(raw: Mapping[str, Any], key: str, errors: Errors) -> list[str] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        errors.add(key, "Must be a list of names.")
        return None
    return list(dict.fromkeys(value))


@dataclass(frozen=True, kw_only=True)
class Grants:
    roles: tuple[str, ...]
    entitlements: tuple[Entitlement, ...]


def parse_grants(raw: Mapping[str, Any]) -> Grants:
    errors = Errors()
    roles = _str_list(raw, "roles", errors) or []
    ents: dict[str, Entitlement] = {}
    items = raw.get("entitlements", [])
    if not isinstance(items, list):
        errors.add("entitlements", "Must be a list of {action, scope}.")
        items = []
    for i, item in enumerate(items):
        field = f"entitlements[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("action"), str):
            errors.add(field, "Needs an action.")
            continue
        action, scope = item["action"], item.get("scope")
        if not ACTION.fullmatch(action):
            errors.add(f"{field}.action", f"{action!r} is not an action name.")
        elif action in ents:
            errors.add(f"{field}.action", f"{action} is listed twice.")
        if scope is not None and (
            not isinstance(scope, list)
            or not scope
            or not all(isinstance(s, str) and s.strip() for s in scope)
        ):
            errors.add(f"{field}.scope", "Scope must be null (everything) or a non-empty list of ids.")
            continue
        ents[action] = Entitlement(
            action=action, scope=tuple(sorted({s.strip() for s in scope})) if scope is not None else None
        )
    errors.raise_if_any()
    return Grants(roles=tuple(roles), entitlements=tuple(sorted(ents.values(), key=lambda e: e.action)))


@dataclass(frozen=True, kw_only=True)
class NewToken:
    name: str
    actions: tuple[str, ...] | None
    expires_at: datetime | None


def parse_new_token(raw: Mapping[str, Any], *, now: datetime) -> NewToken:
    errors = Errors()
    name = _text(raw, "name", errors, required=True, max_len=100)
    actions = _str_list(raw, "actions", errors)
    if actions is not None and not actions:
        errors.add("actions", "Pick at least one action, or leave the token unnarrowed.")
    expires_at = None
    expires = raw.get("expires_at")
    if expires not in (None, ""):
        try:
            if not isinstance(expires, str):
                raise ValueError(expires)
            expires_at = datetime.fromisoformat(expires)
            if expires_at.tzinfo is None:
                expires_at = expires_at.replace(tzinfo=UTC)
            if expires_at <= now:
                errors.add("expires_at", "The expiry must be in the future.")
        except ValueError:
            errors.add("expires_at", "Use an ISO 8601 date, e.g. 2030-12-31.")
    errors.raise_if_any()
    assert name is not None
    return NewToken(name=name, actions=tuple(actions) if actions is not None else None, expires_at=expires_at)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def user_json(
    user: User, *, roles: list[str], entitlements: tuple[Entitlement, ...] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "org_id": user.org_id,
        "disabled": user.disabled,
        "locked_until": iso(user.locked_until),
        "mfa_enabled": user.mfa_enabled,
        "roles": roles,
        "created_at": iso(user.created_at),
        "password_changed_at": iso(user.password_changed_at),
    }
    if entitlements is not None:
        out["entitlements"] = [ent_json(e) for e in entitlements]
    return out


def ent_json(e: Entitlement) -> dict[str, Any]:
    return {"action": e.action, "scope": list(e.scope) if e.scope is not None else None}


def role_json(role: Role, entitlements: tuple[Entitlement, ...]) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "org_id": role.org_id,
        "description": role.description,
        "builtin": role.builtin,
        "entitlements": [ent_json(e) for e in entitlements],
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "actions": token.actions,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "expires_at": iso(token.expires_at),
        "revoked_at": iso(token.revoked_at),
    }


def audit_json(row: AuditRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "event": row.event,
        "actor_id": row.actor_id,
        "actor_username": row.actor_username,
        "org_id": row.org_id,
        "subject": row.subject,
        "ip": row.ip,
        "session": row.session,
        "detail": row.detail,
    }
