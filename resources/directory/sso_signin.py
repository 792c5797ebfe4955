"""Enterprise sign-in for the gateway (service plane): discovery and sign-in from verified claims.

The gateway has already checked the ID token (signature, `iss`, `aud`, `nonce`, expiry) against
the config that `discover` gave it; the org of the flow comes from the gateway's pending state,
never from the claims. Here:

* (issuer, sub) names at most one user. A linked user of another org is never moved or attached:
  the sign-in is refused.
* The e-mail must be in the org's allowed domains (and not `email_verified: false`).
* First sign-in: an unlinked user of the SAME org with that e-mail is linked; otherwise a user is
  created inside that org (username = the e-mail; no usable password) with the mapped roles.
  Roles are given at creation only; admins change them afterwards as for any user.
* Disabled users, locked accounts and suspended orgs are refused (like the password login).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from resources.directory import repository as repo
from resources.directory.audit import record
from resources.directory.authn import principal_for
from resources.directory.context import Tx
from resources.directory.models import SsoConfig, SsoIdentity, User
from resources.directory.schemas import EMAIL, USERNAME
from resources.directory.service import assignable_roles
from resources.directory.sso import all_configs, secret_aad

NO_PASSWORD = "!sso"  # not an argon2 hash: verify_password() is always False  # noqa: S105


@dataclass(frozen=True, kw_only=True)
class Discovered:
    org_id: str
    issuer: str
    client_id: str
    client_secret: str

    def to_json(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }


def _domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


async def discover(*, tx: Tx, email: str | None = None, org_id: str | None = None) -> Discovered | None:
    """The enabled IdP of the org that owns the e-mail's domain (or of `org_id`)."""
    cfg: SsoConfig | None = None
    if org_id is not None:
        cfg = await tx.session.get(SsoConfig, org_id)
    elif email and "@" in email:
        domain = _domain(email)
        cfg = next((c for c in await all_configs(tx) if domain in c.domains), None)
    if cfg is None or not cfg.enabled:
        return None
    secret = tx.ctx.box.open(cfg.client_secret, aad=secret_aad(cfg.org_id)).decode()
    return Discovered(org_id=cfg.org_id, issuer=cfg.issuer, client_id=cfg.client_id, client_secret=secret)


def mapped_roles(cfg: SsoConfig, claims: dict[str, Any]) -> list[str]:
    roles = list(cfg.default_roles)
    for rule in cfg.role_mapping:
        got = claims.get(rule["claim"])
        values = got if isinstance(got, list) else [got]
        if rule["value"] in [str(v) for v in values if isinstance(v, str | int | bool)]:
            roles += [r for r in rule["roles"] if r not in roles]
    return roles


@dataclass(frozen=True, kw_only=True)
class SigninResult:
    ok: bool
    user_id: str | None = None
    created: bool = False
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "user_id": self.user_id, "created": self.created}
        return {"ok": False, "reason": self.reason}


async def _refuse(
    tx: Tx, *, org_id: str, subject: str, reason: str, ip: str | None, issuer: str
) -> SigninResult:
    await record(
        tx, event="sso.failure", org_id=org_id, subject=subject[:200], ip=ip,
        detail={"reason": reason, "issuer": issuer},
    )  # fmt: skip
    return SigninResult(ok=False, reason=reason)


async def _user_by_email(tx: Tx, org_id: str, email: str) -> list[User]:
    rows = await tx.session.execute(
        select(User).where(User.org_id == org_id, func.lower(User.email) == email).limit(2)
    )
    return list(rows.scalars())


async def _create_user(tx: Tx, cfg: SsoConfig, email: str, claims: dict[str, Any]) -> User:
    name = claims.get("name")
    user = User(
        id=uuid.uuid4().hex,
        username=email,
        display_name=(name if isinstance(name, str) and name.strip() else email)[:200],
        email=email,
        org_id=cfg.org_id,
        password_hash=NO_PASSWORD,
        disabled=False,
        failed_count=0,
        mfa_enabled=False,
        password_changed_at=tx.now,
        created_at=tx.now,
    )
    tx.session.add(user)
    await tx.session.flush()
    tree = await repo.load_tree(tx.session)
    assignable = await assignable_roles(tx, tree, cfg.org_id)
    roles = [r for r in mapped_roles(cfg, claims) if r in assignable]
    await repo.replace_grants(tx.session, user_id=user.id, role_ids=roles, entitlements=())
    return user


async def signin(*, tx: Tx, org_id: str, issuer: str, claims: dict[str, Any], ip: str | None) -> SigninResult:
    async def refuse(reason: str, subject: str) -> SigninResult:
        return await _refuse(tx, org_id=org_id, subject=subject, reason=reason, ip=ip, issuer=issuer)

    cfg = await tx.session.get(SsoConfig, org_id)
    sub = claims.get("sub")
    subject = sub if isinstance(sub, str) else ""
    if cfg is None or not cfg.enabled or cfg.issuer != issuer or not subject or len(subject) > 255:
        return await refuse("invalid", subject)
    raw_email = claims.get("email")
    email = raw_email.strip().lower() if isinstance(raw_email, str) else ""
    if not EMAIL.fullmatch(email) or _domain(email) not in cfg.domains:
        return await refuse("domain", email or subject)
    if claims.get("email_verified") is False:
        return await refuse("unverified", email)
    if (await repo.load_tree(tx.session)).suspended(org_id):
        return await refuse("suspended", email)
    link = (
        await tx.session.execute(
            select(SsoIdentity).where(SsoIdentity.issuer == issuer, SsoIdentity.subject == subject)
        )
    ).scalar_one_or_none()
    created = False
    user: User | None
    if link is not None:
        user = await repo.user_by_id(tx.session, link.user_id)
        if user is None or user.org_id != org_id or link.org_id != org_id:
            return await refuse("foreign", email)
    else:
        same_org = await _user_by_email(tx, org_id, email)
        if len(same_org) > 1:
            return await refuse("ambiguous", email)
        if same_org:
            user = same_org[0]
        elif not USERNAME.fullmatch(email) or await repo.user_by_username(tx.session, email) is not None:
            return await refuse("conflict", email)
        else:
            user = await _create_user(tx, cfg, email, claims)
            created = True
            await record(
                tx, event="sso.user-created", org_id=org_id, subject=user.username, ip=ip,
                actor_id=user.id, actor_username=user.username,
                after={"username": user.username, "roles": await repo.role_ids_of(tx.session, user.id)},
                detail={"issuer": issuer},
            )  # fmt: skip
        link = SsoIdentity(org_id=org_id, issuer=issuer, subject=subject, user_id=user.id, created_at=tx.now)
        tx.session.add(link)
        await tx.session.flush()
        if not created:
            await record(
                tx, event="sso.linked", org_id=org_id, subject=user.username, ip=ip, actor_id=user.id,
                actor_username=user.username, detail={"issuer": issuer},
            )  # fmt: skip
    if await principal_for(tx, user) is None:
        return await refuse("disabled", user.username)
    link.last_signin_at = tx.now
    await record(
        tx, event="login.success", actor_id=user.id, actor_username=user.username, org_id=org_id,
        subject=user.username, ip=ip, detail={"method": "sso", "issuer": issuer, "created": created},
    )  # fmt: skip
    return SigninResult(ok=True, user_id=user.id, created=created)
