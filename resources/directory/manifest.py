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
    )
    internal = (
        ("POST", "/internal/authenticate"),
        ("POST", "/internal/mfa/verify"),
        ("GET", "/internal/principals/{user_id}"),
        ("POST", "/internal/tokens/verify"),
        ("POST", "/internal/audit"),
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
        NavEntry(title="Users", path="/directory/users", action=VIEW_USERS, order=80),
        NavEntry(title="Security audit", path="/directory/audit", action=VIEW_AUDIT, order=85),
        NavEntry(title="My account", path="/directory/me", action=SELF, order=90),
    ),
)
