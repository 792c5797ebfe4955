"""Directory tables (`directory_*`). No relationships: repository queries are explicit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class Org(Base):
    """A tenancy node: provider (root) → reseller (may nest) → customer."""

    __tablename__ = "directory_orgs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # slug, e.g. "globex"
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # provider | reseller | customer
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("directory_orgs.id"), index=True)
    brand: Mapped[str | None] = mapped_column(String(40))  # providers and resellers only
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Suspension (revision 0002): the org and every org below it cannot sign in.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    suspended_by: Mapped[str | None] = mapped_column(String(64), default=None)  # username


class User(Base):
    __tablename__ = "directory_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    org_id: Mapped[str] = mapped_column(ForeignKey("directory_orgs.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mfa_secret: Mapped[str | None] = mapped_column(Text)  # AES-GCM sealed, see crypto.SecretBox
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Role(Base):
    """A named bundle of entitlements, owned by an org (provider roles are visible to all)."""

    __tablename__ = "directory_roles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    org_id: Mapped[str] = mapped_column(ForeignKey("directory_orgs.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)  # revision 0002: immutable


class RoleEntitlement(Base):
    __tablename__ = "directory_role_entitlements"
    __table_args__ = (UniqueConstraint("role_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("directory_roles.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(100))
    scope: Mapped[list[str] | None] = mapped_column(JSON)


class UserRole(Base):
    __tablename__ = "directory_user_roles"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("directory_users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[str] = mapped_column(
        ForeignKey("directory_roles.id", ondelete="CASCADE"), primary_key=True
    )


class UserEntitlement(Base):
    """A direct grant to one user."""

    __tablename__ = "directory_user_entitlements"
    __table_args__ = (UniqueConstraint("user_id", "action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("directory_users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(100))
    scope: Mapped[list[str] | None] = mapped_column(JSON)


class ApiToken(Base):
    """`sbt_<id>_<secret>`; only the sha256 of the whole token is stored."""

    __tablename__ = "directory_api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("directory_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(40))
    actions: Mapped[list[str] | None] = mapped_column(JSON)  # narrowing; None = all the owner's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditRow(Base):
    __tablename__ = "directory_audit"
    __table_args__ = (Index("ix_directory_audit_org_at", "org_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_username: Mapped[str | None] = mapped_column(String(64))
    org_id: Mapped[str | None] = mapped_column(String(64))  # the subject's org, for tenancy filtering
    subject: Mapped[str | None] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(64))
    session: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SsoConfig(Base):
    """An org's OpenID Connect identity provider (revision 0005). One per org; the client secret
    is AES-GCM sealed (crypto.SecretBox, associated data `sso:<org id>`)."""

    __tablename__ = "directory_sso"

    org_id: Mapped[str] = mapped_column(ForeignKey("directory_orgs.id"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(Text)  # sealed
    domains: Mapped[list[str]] = mapped_column(JSON)  # lower-case e-mail domains
    default_roles: Mapped[list[str]] = mapped_column(JSON)
    role_mapping: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{claim, value, roles}]
    passwords_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class SsoIdentity(Base):
    """A user signed in through an IdP: (issuer, subject) names exactly one user, of one org."""

    __tablename__ = "directory_sso_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_directory_sso_identities_iss_sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("directory_orgs.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("directory_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
