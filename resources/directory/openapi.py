"""The directory resource's API contract: pydantic models of every JSON operation. The routes
keep their own parsers (their error sentences are what forms show); this is where the shapes are
described. Times are ISO 8601 UTC strings; ids are text."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from resources.directory.manifest import MANIFEST
from resources.kit.openapi import Contract, op

Time = str


class Grant(BaseModel):
    """An action on a scope: `scope` null = everything of that kind in the holder's tenancy."""

    action: str = Field(pattern=r"^[a-z]+:[a-z][a-z-]*$")
    scope: list[str] | None = None


class User(BaseModel):
    id: str
    username: str
    display_name: str
    email: str | None
    phone: str | None
    org_id: str
    disabled: bool
    locked_until: Time | None
    mfa_enabled: bool
    roles: list[str]
    created_at: Time | None
    password_changed_at: Time | None


class UserDetail(User):
    entitlements: list[Grant] = Field(description="Effective: from roles and direct grants")
    direct_entitlements: list[Grant]


class NewUserResult(UserDetail):
    temporary_password: str | None = Field(default=None, description="Only when no password was given")


class UserPage(BaseModel):
    total: int
    items: list[User]


class Page(BaseModel):
    q: str | None = Field(default=None, description="Search username, name or e-mail")
    limit: int | None = Field(default=None, ge=0, le=999_999_999, description="Rows (default 50)")
    offset: int | None = Field(default=None, ge=0, le=999_999_999)


class AuditPageQuery(BaseModel):
    event: str | None = Field(default=None, description="Only this event, e.g. user.created")
    limit: int | None = Field(default=None, ge=0, le=999_999_999, description="Rows (default 50)")
    offset: int | None = Field(default=None, ge=0, le=999_999_999)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16, description="E.164")
    org_id: str | None = Field(default=None, max_length=64, description="Default: your own organisation")
    password: str | None = Field(default=None, description="Leave out to get a temporary one")
    roles: list[str] = []


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=16)
    disabled: bool | None = None


class Grants(BaseModel):
    """The user's roles and direct grants, replaced as a whole."""

    roles: list[str] = []
    entitlements: list[Grant] = []


class TemporaryPassword(BaseModel):
    temporary_password: str


class Role(BaseModel):
    id: str
    name: str
    org_id: str | None
    description: str
    builtin: bool
    entitlements: list[Grant]


class RoleDetail(Role):
    holders: int


class Roles(BaseModel):
    items: list[Role]


class NewRole(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=24, description="A slug, e.g. noc-viewer")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=500)
    entitlements: list[Grant] = []


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=500)
    entitlements: list[Grant] = []


class AuditRow(BaseModel):
    id: int
    at: Time | None
    event: str
    actor_id: str | None
    actor_username: str | None
    org_id: str | None
    subject: str | None
    ip: str | None
    session: str | None
    detail: dict[str, Any] | None


class AuditPage(BaseModel):
    total: int
    items: list[AuditRow]


class Token(BaseModel):
    id: str
    name: str
    prefix: str
    actions: list[str] | None = Field(description="null: all of the owner's entitlements")
    created_at: Time | None
    last_used_at: Time | None
    expires_at: Time | None
    revoked_at: Time | None


class NewTokenResult(Token):
    token: str = Field(description="The secret, shown once")


class Tokens(BaseModel):
    items: list[Token]


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    actions: list[str] | None = Field(default=None, description="Narrow the token to these actions")
    expires_at: Time | None = Field(default=None, description="ISO 8601, in the future")


class Org(BaseModel):
    id: str
    name: str
    kind: Literal["provider", "reseller", "customer"]
    parent_id: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    created_at: Time | None
    suspended: bool = Field(description="This organisation or one above it is suspended")
    suspended_at: Time | None
    suspended_by: str | None
    users: int | None = None


class Orgs(BaseModel):
    items: list[Org]


class NewOrg(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["reseller", "customer"]
    parent_id: str | None = Field(default=None, max_length=64)
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


class OrgPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


class OrgAdmin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    display_name: str | None = None
    email: str | None = None
    phone: str | None = None
    password: str | None = None


class OrgAdminResult(BaseModel):
    user_id: str
    username: str
    created: bool
    temporary_password: str | None = None


class BrandVersion(BaseModel):
    version: int
    state: str
    fields: dict[str, Any]
    created_at: Time
    created_by: str | None
    published_at: Time | None
    published_by: str | None
    rolled_back_from: int | None


class BrandState(BaseModel):
    org_id: str
    brand_id: str
    parent_brand: str | None
    draft: BrandVersion | None
    published: BrandVersion | None
    inherited: dict[str, Any]
    effective: dict[str, Any]


class BrandVersions(BaseModel):
    items: list[BrandVersion]


class BrandDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fields: dict[str, Any] = Field(description="The complete overrides (see the brand editor)")


class BrandAsset(BaseModel):
    sha256: str
    ref: str
    kind: str
    content_type: str
    width: int | None
    height: int | None
    size: int
    created_at: Time


class OrgQuery(BaseModel):
    org: str | None = Field(default=None, description="An organisation of your subtree (default: your own)")


class AssetQuery(OrgQuery):
    kind: str | None = Field(default=None, description="logo, logo_dark or favicon (raw image bodies)")


class SsoRoleRule(BaseModel):
    """Users whose ID token claim `claim` equals (or, for a list claim, contains) `value` get `roles`."""

    claim: str = Field(min_length=1, max_length=100)
    value: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1)


class SsoInput(BaseModel):
    """The organisation's identity provider (PUT replaces it; leave `client_secret` out to keep
    the stored one)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1, max_length=500, description="https:// (http:// only for 127.0.0.1)")
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str | None = Field(default=None, max_length=500)
    domains: list[str] = Field(min_length=1, description="E-mail domains whose users sign in here")
    default_roles: list[str] = []
    role_mapping: list[SsoRoleRule] = []
    passwords_disabled: bool = False
    enabled: bool = True


class SsoConfig(BaseModel):
    """What the portal keeps about the organisation's identity provider (never the secret)."""

    org_id: str
    issuer: str
    client_id: str
    domains: list[str]
    default_roles: list[str]
    role_mapping: list[SsoRoleRule]
    passwords_disabled: bool
    enabled: bool
    client_secret_set: Literal[True]
    updated_at: Time | None
    updated_by: str


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op("GET", "/api/users", "Users you administer", query=Page, responses={200: UserPage}),
        op("POST", "/api/users", "Add a user", body=NewUser, responses={201: NewUserResult}),
        op("GET", "/api/users/{user_id}", "One user with roles and grants", responses={200: UserDetail}),
        op(
            "PATCH",
            "/api/users/{user_id}",
            "Change a user's profile or disable them",
            body=UserPatch,
            responses={200: UserDetail},
        ),
        op(
            "POST",
            "/api/users/{user_id}/password-reset",
            "Set a temporary password",
            responses={200: TemporaryPassword},
        ),
        op("POST", "/api/users/{user_id}/mfa-reset", "Remove a user's second factor", responses={204: None}),
        op(
            "PUT",
            "/api/users/{user_id}/entitlements",
            "Replace a user's roles and direct grants",
            body=Grants,
            responses={200: UserDetail},
        ),
        op("GET", "/api/roles", "Roles you can assign", responses={200: Roles}),
        op("POST", "/api/roles", "Define a role", body=NewRole, responses={201: RoleDetail}),
        op("GET", "/api/roles/{role_id}", "One role", responses={200: RoleDetail}),
        op("PUT", "/api/roles/{role_id}", "Change a role", body=RoleChange, responses={200: RoleDetail}),
        op("DELETE", "/api/roles/{role_id}", "Delete a role nobody holds", responses={204: None}),
        op("GET", "/api/audit", "Directory audit log", query=AuditPageQuery, responses={200: AuditPage}),
        op("GET", "/api/me", "Your own account and entitlements", responses={200: UserDetail}),
        op("GET", "/api/me/tokens", "Your API tokens", responses={200: Tokens}),
        op("POST", "/api/me/tokens", "Make an API token", body=NewToken, responses={201: NewTokenResult}),
        op("DELETE", "/api/me/tokens/{token_id}", "Revoke one of your API tokens", responses={204: None}),
        op("GET", "/api/orgs", "Organisations of your subtree", responses={200: Orgs}),
        op("POST", "/api/orgs", "Create a reseller or customer", body=NewOrg, responses={201: Org}),
        op("GET", "/api/orgs/{org_id}", "One organisation", responses={200: Org}),
        op(
            "PATCH",
            "/api/orgs/{org_id}",
            "Change an organisation's name or contact",
            body=OrgPatch,
            responses={200: Org},
        ),
        op(
            "POST",
            "/api/orgs/{org_id}/suspend",
            "Suspend an organisation (and everything below it)",
            responses={200: Org},
        ),
        op("POST", "/api/orgs/{org_id}/resume", "Resume a suspended organisation", responses={200: Org}),
        op(
            "POST",
            "/api/orgs/{org_id}/admin",
            "Make (or promote) the organisation's admin",
            body=OrgAdmin,
            responses={200: OrgAdminResult, 201: OrgAdminResult},
        ),
        op(
            "GET",
            "/api/brand",
            "Your brand: draft, published and effective fields",
            query=OrgQuery,
            responses={200: BrandState},
        ),
        op(
            "PUT",
            "/api/brand/draft",
            "Save the brand draft",
            query=OrgQuery,
            body=BrandDraft,
            responses={200: BrandVersion},
        ),
        op(
            "POST",
            "/api/brand/assets",
            "Upload a logo or favicon (PNG, JPEG, WebP, ICO, SVG; ≤ 256 KiB)",
            query=AssetQuery,
            body=None,
            responses={201: BrandAsset},
            description="Send a multipart form (`file`, `kind`) or the raw image with `?kind=`.",
        ),
        op("POST", "/api/brand/publish", "Publish the draft", query=OrgQuery, responses={200: BrandVersion}),
        op(
            "POST",
            "/api/brand/rollback/{version}",
            "Publish an earlier version again",
            query=OrgQuery,
            responses={200: BrandVersion},
            path_params={"version": {"type": "integer", "minimum": 1}},
        ),
        op("GET", "/api/brand/versions", "Brand history", query=OrgQuery, responses={200: BrandVersions}),
        op(
            "GET",
            "/api/sso",
            "Your organisation's identity provider",
            query=OrgQuery,
            responses={200: SsoConfig},
        ),
        op(
            "PUT",
            "/api/sso",
            "Register or change the identity provider",
            query=OrgQuery,
            body=SsoInput,
            responses={200: SsoConfig},
        ),
        op("DELETE", "/api/sso", "Remove the identity provider", query=OrgQuery, responses={204: None}),
    ),
)
