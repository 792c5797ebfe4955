"""What the directory declares: actions, rules (default deny), menu entries."""

from __future__ import annotations

from typing import Any

from resources.kit.manifest import Action, Manifest, NavEntry, Rule, rule_table

SELF = "directory:self"
VIEW_USERS = "directory:view-users"
MANAGE_USERS = "directory:manage-users"
MANAGE_ENTITLEMENTS = "directory:manage-entitlements"
VIEW_AUDIT = "directory:view-audit"
AUTHENTICATE = "directory:authenticate"
MANAGE_ORGS = "directory:manage-orgs"
MANAGE_ROLES = "directory:manage-roles"
MANAGE_BRAND = "directory:manage-brand"
MANAGE_SSO = "directory:manage-sso"

ACTIONS = (
    Action(
        name=SELF,
        description="Own account: profile, password, two-factor authentication, API tokens",
        scope_kind="self",
    ),
    Action(name=VIEW_USERS, description="See the users of your organisation(s) and their entitlements"),
    Action(
        name=MANAGE_USERS,
        description="Add, disable and enable users; reset their password or two-factor authentication",
    ),
    Action(
        name=MANAGE_ENTITLEMENTS,
        description="Assign roles and entitlements to users (only those you hold yourself)",
    ),
    Action(name=VIEW_AUDIT, description="Read the security audit log of your organisation(s)"),
    Action(
        name=MANAGE_ORGS,
        description=(
            "Provider and reseller staff: create the organisations below yours (resellers, "
            "customers), suspend and resume them, set a customer's administrator"
        ),
        staff_only=True,
    ),
    Action(
        name=MANAGE_ROLES,
        description="Define your organisation's roles, within the entitlements you hold yourself",
    ),
    Action(
        name=MANAGE_BRAND,
        description=(
            "Provider and reseller staff: edit, preview, publish and roll back your organisation's "
            "brand (logos, colours, contact details, footers)"
        ),
        staff_only=True,
    ),
    Action(
        name=MANAGE_SSO,
        description=(
            "Enterprise sign-in: register your organisation's OpenID Connect identity provider "
            "(issuer, client, allowed e-mail domains, claim to role mapping) and switch local "
            "passwords off"
        ),
    ),
    Action(
        name=AUTHENTICATE,
        description="Gateway service: check passwords and codes, resolve principals and API tokens",
        scope_kind="service",
    ),
)


def _rules() -> tuple[Rule, ...]:
    ui = (
        ("GET", "/users", VIEW_USERS),
        ("GET", "/users/new", MANAGE_USERS),
        ("POST", "/users", MANAGE_USERS),
        ("GET", "/users/{user_id}", VIEW_USERS),
        ("POST", "/users/{user_id}/disable", MANAGE_USERS),
        ("POST", "/users/{user_id}/enable", MANAGE_USERS),
        ("POST", "/users/{user_id}/password-reset", MANAGE_USERS),
        ("POST", "/users/{user_id}/mfa-reset", MANAGE_USERS),
        ("POST", "/users/{user_id}/entitlements", MANAGE_ENTITLEMENTS),
        ("GET", "/audit", VIEW_AUDIT),
        ("GET", "/me", SELF),
        ("POST", "/me/password", SELF),
        ("POST", "/me/mfa/enrol", SELF),
        ("POST", "/me/mfa/confirm", SELF),
        ("POST", "/me/mfa/disable", SELF),
        ("POST", "/me/tokens", SELF),
        ("POST", "/me/tokens/{token_id}/revoke", SELF),
        ("GET", "/orgs", MANAGE_ORGS),
        ("GET", "/orgs/new", MANAGE_ORGS),
        ("POST", "/orgs", MANAGE_ORGS),
        ("GET", "/orgs/{org_id}", MANAGE_ORGS),
        ("POST", "/orgs/{org_id}/suspend", MANAGE_ORGS),
        ("POST", "/orgs/{org_id}/resume", MANAGE_ORGS),
        ("POST", "/orgs/{org_id}/admin", MANAGE_ORGS),
        ("GET", "/roles", VIEW_USERS),
        ("POST", "/roles", MANAGE_ROLES),
        ("GET", "/roles/{role_id}", VIEW_USERS),
        ("POST", "/roles/{role_id}", MANAGE_ROLES),
        ("POST", "/roles/{role_id}/delete", MANAGE_ROLES),
        ("GET", "/brand", MANAGE_BRAND),
        ("POST", "/brand/draft", MANAGE_BRAND),
        ("POST", "/brand/assets", MANAGE_BRAND),
        ("GET", "/brand/assets/{sha256}", MANAGE_BRAND),
        ("GET", "/brand/preview", MANAGE_BRAND),
        ("GET", "/brand/preview.css", MANAGE_BRAND),
        ("POST", "/brand/publish", MANAGE_BRAND),
        ("POST", "/brand/rollback/{version}", MANAGE_BRAND),
        ("GET", "/sso", MANAGE_SSO),
        ("POST", "/sso", MANAGE_SSO),
        ("POST", "/sso/delete", MANAGE_SSO),
    )
    api = (
        ("GET", "/api/users", VIEW_USERS),
        ("POST", "/api/users", MANAGE_USERS),
        ("GET", "/api/users/{user_id}", VIEW_USERS),
        ("PATCH", "/api/users/{user_id}", MANAGE_USERS),
        ("POST", "/api/users/{user_id}/password-reset", MANAGE_USERS),
        ("POST", "/api/users/{user_id}/mfa-reset", MANAGE_USERS),
        ("PUT", "/api/users/{user_id}/entitlements", MANAGE_ENTITLEMENTS),
        ("GET", "/api/roles", VIEW_USERS),
        ("GET", "/api/audit", VIEW_AUDIT),
        ("GET", "/api/me", SELF),
        ("GET", "/api/me/tokens", SELF),
        ("POST", "/api/me/tokens", SELF),
        ("DELETE", "/api/me/tokens/{token_id}", SELF),
        ("GET", "/api/orgs", MANAGE_ORGS),
        ("POST", "/api/orgs", MANAGE_ORGS),
        ("GET", "/api/orgs/{org_id}", MANAGE_ORGS),
        ("PATCH", "/api/orgs/{org_id}", MANAGE_ORGS),
        ("POST", "/api/orgs/{org_id}/suspend", MANAGE_ORGS),
        ("POST", "/api/orgs/{org_id}/resume", MANAGE_ORGS),
        ("POST", "/api/orgs/{org_id}/admin", MANAGE_ORGS),
        ("POST", "/api/roles", MANAGE_ROLES),
        ("GET", "/api/roles/{role_id}", VIEW_USERS),
        ("PUT", "/api/roles/{role_id}", MANAGE_ROLES),
        ("DELETE", "/api/roles/{role_id}", MANAGE_ROLES),
        ("GET", "/api/brand", MANAGE_BRAND),
        ("PUT", "/api/brand/draft", MANAGE_BRAND),
        ("POST", "/api/brand/assets", MANAGE_BRAND),
        ("POST", "/api/brand/publish", MANAGE_BRAND),
        ("POST", "/api/brand/rollback/{version}", MANAGE_BRAND),
        ("GET", "/api/brand/versions", MANAGE_BRAND),
        ("GET", "/api/sso", MANAGE_SSO),
        ("PUT", "/api/sso", MANAGE_SSO),
        ("DELETE", "/api/sso", MANAGE_SSO),
    )
    internal = (
        ("POST", "/internal/authenticate"),
        ("POST", "/internal/mfa/verify"),
        ("GET", "/internal/principals/{user_id}"),
        ("POST", "/internal/tokens/verify"),
        ("POST", "/internal/audit"),
        ("GET", "/internal/brands"),
        ("GET", "/internal/brand-assets/{sha256}"),
        ("POST", "/internal/sso/discover"),
        ("POST", "/internal/sso/signin"),
    )
    return rule_table(customer=[*ui, *api], service=[(m, p, AUTHENTICATE) for m, p in internal])


def _create_app(settings: Any) -> Any:
    from resources.directory.app import create_app

    return create_app(settings)


MANIFEST = Manifest(
    name="directory",
    title="Directory",
    description="Organisations, users, passwords, two-factor authentication, API tokens and entitlements",
    create_app=_create_app,
    actions=ACTIONS,
    rules=_rules(),
    nav=(
        NavEntry(title="Organisations", path="/directory/orgs", action=MANAGE_ORGS, order=75),
        NavEntry(title="Brand", path="/directory/brand", action=MANAGE_BRAND, order=76),
        NavEntry(title="Users", path="/directory/users", action=VIEW_USERS, order=80),
        NavEntry(title="Roles", path="/directory/roles", action=VIEW_USERS, order=81),
        NavEntry(title="Enterprise sign-in", path="/directory/sso", action=MANAGE_SSO, order=82),
        NavEntry(title="Security audit", path="/directory/audit", action=VIEW_AUDIT, order=85),
        NavEntry(title="My account", path="/directory/me", action=SELF, order=90),
    ),
)
