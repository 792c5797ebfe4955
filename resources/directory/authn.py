"""The gateway's service API: passwords, TOTP codes, principals, API tokens, audit append.

Per-account throttling lives here: `lockout_threshold` consecutive failures (passwords and
codes alike) lock the account for `lockout_seconds`; a success resets the counter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Literal

from resources.directory import repository as repo
from resources.directory.audit import record
from resources.directory.context import Tx
from resources.directory.crypto import matching_step, parse_api_token, token_matches, verify_password
from resources.directory.entitlements import narrow
from resources.directory.models import SsoConfig, User
from resources.kit.caller import Kind, Principal

Reason = Literal["invalid", "locked", "disabled", "suspended", "sso"]


@dataclass(frozen=True, kw_only=True)
class AuthResult:
    ok: bool
    user_id: str | None = None
    mfa_required: bool = False
    reason: Reason | None = None

    def to_json(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "user_id": self.user_id, "mfa_required": self.mfa_required}
        return {"ok": False, "reason": self.reason}


def is_locked(tx: Tx, user: User) -> bool:
    return user.locked_until is not None and user.locked_until > tx.now


async def _failure(tx: Tx, user: User, *, event: str, ip: str | None) -> None:
    user.failed_count += 1
    await record(
        tx, event=event, actor_id=user.id, actor_username=user.username, org_id=user.org_id,
        subject=user.username, ip=ip, detail={"failed_count": user.failed_count},
    )  # fmt: skip
    if user.failed_count >= tx.ctx.settings.lockout_threshold:
        user.failed_count = 0
        user.locked_until = tx.now + timedelta(seconds=tx.ctx.settings.lockout_seconds)
        await record(
            tx, event="account.locked", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
            subject=user.username, ip=ip, detail={"locked_until": user.locked_until.isoformat()},
        )  # fmt: skip
        tx.mark_changed(user.id)


async def authenticate(*, tx: Tx, username: str, password: str, ip: str | None) -> AuthResult:
    hasher = tx.ctx.hasher
    user = await repo.user_by_username(tx.session, username.strip().lower()) if len(username) <= 64 else None
    if user is None:
        verify_password(hasher, tx.ctx.dummy_hash, password)  # same cost as a real miss
        await record(
            tx,
            event="login.failure",
            org_id=None,
            subject=username[:200],
            ip=ip,
            detail={"reason": "unknown"},
        )
        return AuthResult(ok=False, reason="invalid")
    if is_locked(tx, user):
        await record(
            tx, event="login.failure", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
            subject=user.username, ip=ip, detail={"reason": "locked"},
        )  # fmt: skip
        return AuthResult(ok=False, reason="locked")
    if not verify_password(hasher, user.password_hash, password):
        await _failure(tx, user, event="login.failure", ip=ip)
        return AuthResult(ok=False, reason="locked" if is_locked(tx, user) else "invalid")
    if user.disabled:  # only told after a correct password
        await record(
            tx, event="login.failure", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
            subject=user.username, ip=ip, detail={"reason": "disabled"},
        )  # fmt: skip
        return AuthResult(ok=False, reason="disabled")
    if (await repo.load_tree(tx.session)).suspended(user.org_id):  # the org or one above it
        await record(
            tx, event="login.failure", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
            subject=user.username, ip=ip, detail={"reason": "suspended"},
        )  # fmt: skip
        return AuthResult(ok=False, reason="suspended")
    sso = await tx.session.get(SsoConfig, user.org_id)
    if sso is not None and sso.enabled and sso.passwords_disabled:  # told after a correct password only
        await record(
            tx, event="login.failure", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
            subject=user.username, ip=ip, detail={"reason": "sso"},
        )  # fmt: skip
        return AuthResult(ok=False, reason="sso")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.failed_count = 0
    await record(
        tx, event="login.success", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
        subject=user.username, ip=ip, detail={"mfa_required": user.mfa_enabled},
    )  # fmt: skip
    return AuthResult(ok=True, user_id=user.id, mfa_required=user.mfa_enabled)


async def verify_mfa(*, tx: Tx, user_id: str, code: str, ip: str | None) -> bool:
    user = await repo.user_by_id(tx.session, user_id)
    if user is None or user.disabled or is_locked(tx, user) or not user.mfa_enabled or not user.mfa_secret:
        return False
    if (await repo.load_tree(tx.session)).suspended(user.org_id):
        return False
    secret = tx.ctx.box.open(user.mfa_secret, aad=user.id)
    step = matching_step(secret, code.strip(), now=tx.now.timestamp(), last_step=user.mfa_last_step)
    if step is None:
        await _failure(tx, user, event="mfa.failure", ip=ip)
        return False
    user.mfa_last_step = step
    user.failed_count = 0
    await record(
        tx, event="mfa.success", actor_id=user.id, actor_username=user.username, org_id=user.org_id,
        subject=user.username, ip=ip,
    )  # fmt: skip
    return True


async def principal_for(tx: Tx, user: User) -> Principal | None:
    """The user as the gateway sees it; None when disabled, locked, orphaned or when its org (or
    an org above it) is suspended."""
    if user.disabled or is_locked(tx, user):
        return None
    tree = await repo.load_tree(tx.session)
    org = tree.get(user.org_id)
    if org is None or org.kind not in ("provider", "reseller", "customer") or tree.suspended(org.id):
        return None
    kind: Kind = org.kind  # type: ignore[assignment]
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        kind=kind,
        org_id=org.id,
        customer_id=tree.customer_id(org.id),
        reseller_chain=tree.reseller_chain(org.id),
        brand=tree.brand(org.id),
        entitlements=await repo.effective_entitlements(tx.session, user.id),
        mfa_enabled=user.mfa_enabled,
    )


async def resolve_principal(*, tx: Tx, user_id: str) -> Principal | None:
    user = await repo.user_by_id(tx.session, user_id)
    return None if user is None else await principal_for(tx, user)


async def verify_token(*, tx: Tx, token: str) -> tuple[str, Principal] | None:
    """(token id, principal narrowed to the token's actions) or None. Updates last_used_at."""
    token_id = parse_api_token(token)
    row = await repo.get_token(tx.session, token_id) if token_id else None
    if row is None or not token_matches(row.token_hash, token):
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= tx.now):
        return None
    user = await repo.user_by_id(tx.session, row.user_id)
    principal = None if user is None else await principal_for(tx, user)
    if principal is None:
        return None
    row.last_used_at = tx.now
    return row.id, replace(principal, entitlements=narrow(principal.entitlements, row.actions))


GATEWAY_EVENTS = frozenset(
    {"logout", "session.revoked", "login.throttled", "session.created", "csrf.refused"}
)


async def append_audit(
    *, tx: Tx, event: str, user_id: str | None, username: str | None, ip: str | None, session: str | None,
    detail: dict[str, Any],
) -> None:  # fmt: skip
    """An event the gateway witnessed. The org is looked up so tenants see their own rows."""
    user = await repo.user_by_id(tx.session, user_id) if user_id else None
    if user is None and username:
        user = await repo.user_by_username(tx.session, username)
    if user is not None:
        user_id, username = user.id, user.username
    org_id = user.org_id if user is not None else None
    if org_id is None and event == "sso.refused" and isinstance(detail.get("org_id"), str):
        org_id = detail["org_id"]  # an enterprise sign-in refused before any user: the flow's org
    await record(
        tx, event=event, actor_id=user_id, actor_username=username, org_id=org_id, subject=username,
        ip=ip, session=session, detail=detail,
    )  # fmt: skip
