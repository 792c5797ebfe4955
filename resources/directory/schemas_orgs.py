"""Input validation and JSON shapes for delegated administration (orgs, custom roles)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resources.directory.models import Org
from resources.directory.schemas import Errors, Profile, _profile, _text, iso, parse_grants
from resources.kit.caller import Entitlement
from resources.kit.errors import ValidationFailed

# Org ids are slugs: they appear in URLs, scopes, audit rows and (resellers) brand ids.
ORG_ID = re.compile(r"[a-z][a-z0-9-]{0,38}[a-z0-9]")
ROLE_SLUG = re.compile(r"[a-z][a-z0-9-]{0,22}[a-z0-9]")
# Words that name pages or built-in brands: never an org id.
RESERVED_ORG_IDS = frozenset({"new", "default", "api", "internal", "static", "admin", "brand", "all"})
ORG_KINDS = ("reseller", "customer")
ORG_FIELDS = frozenset({"id", "name", "kind", "parent_id", "contact_name", "contact_email", "contact_phone"})
PATCH_FIELDS = frozenset({"name", "contact_name", "contact_email", "contact_phone"})
ADMIN_FIELDS = frozenset({"username", "display_name", "email", "phone", "password"})
ROLE_FIELDS = frozenset({"id", "name", "description", "entitlements"})


def _unknown(raw: Mapping[str, Any], allowed: frozenset[str], errors: Errors) -> None:
    for key in sorted(set(raw) - allowed):
        errors.add(key, "Unknown field.")


def _contact(raw: Mapping[str, Any], errors: Errors) -> Profile:
    """contact_name / contact_email / contact_phone, validated like a user's profile."""
    profile = _profile(
        {"display_name": raw.get("contact_name"), "email": raw.get("contact_email"),
         "phone": raw.get("contact_phone")},
        inner := Errors(), name_required=False,
    )  # fmt: skip
    names = {"display_name": "contact_name", "email": "contact_email", "phone": "contact_phone"}
    for e in inner.items:
        errors.add(names[e["field"]], e["message"])
    return profile


@dataclass(frozen=True, kw_only=True)
class NewOrg:
    id: str
    name: str
    kind: str
    parent_id: str | None  # None: the caller's own org
    contact: Profile


def parse_new_org(raw: Mapping[str, Any]) -> NewOrg:
    errors = Errors()
    _unknown(raw, ORG_FIELDS, errors)
    org_id = _text(raw, "id", errors, required=True, max_len=40)
    if org_id is not None:
        if not ORG_ID.fullmatch(org_id):
            errors.add(
                "id",
                "Use 2 to 40 characters: lowercase letters, digits and hyphens, starting with a "
                "letter and not ending with a hyphen (e.g. acme-west).",
            )
        elif org_id in RESERVED_ORG_IDS:
            errors.add("id", f"{org_id!r} is reserved; choose another id.")
    name = _text(raw, "name", errors, required=True)
    kind = _text(raw, "kind", errors, required=True, max_len=16)
    if kind is not None and kind not in ORG_KINDS:
        errors.add("kind", "Choose reseller or customer.")
    parent_id = _text(raw, "parent_id", errors, required=False, max_len=64)
    contact = _contact(raw, errors)
    errors.raise_if_any()
    assert org_id is not None
    assert name is not None
    assert kind is not None
    return NewOrg(id=org_id, name=name, kind=kind, parent_id=parent_id, contact=contact)


@dataclass(frozen=True, kw_only=True)
class OrgPatch:
    name: str | None
    contact: Profile
    fields: frozenset[str]  # which fields were sent (a None contact value clears it)


def parse_org_patch(raw: Mapping[str, Any]) -> OrgPatch:
    errors = Errors()
    _unknown(raw, PATCH_FIELDS, errors)
    name = _text(raw, "name", errors, required="name" in raw)
    contact = _contact(raw, errors)
    errors.raise_if_any()
    return OrgPatch(name=name, contact=contact, fields=frozenset(raw) & PATCH_FIELDS)


@dataclass(frozen=True, kw_only=True)
class NewRole:
    slug: str | None  # None on an update (the id is in the path)
    name: str
    description: str
    entitlements: tuple[Entitlement, ...]


def parse_role(raw: Mapping[str, Any], *, new: bool) -> NewRole:
    """A custom role: `id` (a slug, new roles only), `name`, `description`, `entitlements`
    [{action, scope}] (scope null = everything the holder's tenancy reaches)."""
    errors = Errors()
    _unknown(raw, ROLE_FIELDS if new else ROLE_FIELDS - {"id"}, errors)
    slug = None
    if new:
        slug = _text(raw, "id", errors, required=True, max_len=24)
        if slug is not None and not ROLE_SLUG.fullmatch(slug):
            errors.add(
                "id",
                "Use 2 to 24 characters: lowercase letters, digits and hyphens, starting with a "
                "letter (e.g. billing-clerk).",
            )
    name = _text(raw, "name", errors, required=True)
    description = _text(raw, "description", errors, required=False, max_len=500) or ""
    entitlements: tuple[Entitlement, ...] = ()
    if not isinstance(raw.get("entitlements", []), list):
        errors.add("entitlements", "Must be a list of {action, scope}.")
    else:
        try:
            entitlements = parse_grants({"entitlements": raw.get("entitlements", [])}).entitlements
        except ValidationFailed as exc:
            for e in exc.errors:
                errors.add(e["field"], e["message"])
        if not entitlements and not errors.items:
            errors.add("entitlements", "A role needs at least one entitlement.")
    errors.raise_if_any()
    assert name is not None
    return NewRole(slug=slug, name=name, description=description, entitlements=entitlements)


def org_json(org: Org, *, suspended: bool, users: int | None = None) -> dict[str, Any]:
    """`suspended`: the org or an org above it is suspended (`suspended_at` is this org's own)."""
    out: dict[str, Any] = {
        "id": org.id,
        "name": org.name,
        "kind": org.kind,
        "parent_id": org.parent_id,
        "contact_name": org.contact_name,
        "contact_email": org.contact_email,
        "contact_phone": org.contact_phone,
        "created_at": iso(org.created_at),
        "suspended": suspended,
        "suspended_at": iso(org.suspended_at),
        "suspended_by": org.suspended_by,
    }
    if users is not None:
        out["users"] = users
    return out
