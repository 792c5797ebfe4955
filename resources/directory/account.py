"""Self-service (`directory:self`): own profile, password, TOTP enrolment, API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from resources.directory import repository as repo
from resources.directory.audit import record
from resources.directory.context import Tx
from resources.directory.crypto import (
    matching_step,
    new_api_token,
    new_totp_secret,
    token_hash,
    verify_password,
)
from resources.directory.entitlements import uncovered
from resources.directory.manifest import MANAGE_USERS, SELF
from resources.directory.models import ApiToken, User
from resources.directory.schemas import Errors, password_problems
from resources.directory.service import (
    SERVICE_ACTIONS,
    UserView,
    caller_entitlements,
    require,
    user_view,
    visible_user,
)
from resources.kit.caller import Caller, Entitlement
from resources.kit.errors import ProblemError, ValidationFailed


async def own_user(tx: Tx, caller: Caller) -> User:
    require(caller, SELF)
    user = await repo.user_by_id(tx.session, caller.subject)
    if user is None or user.disabled:
        raise ProblemError(404, detail="no such user")
    return user


async def me(*, tx: Tx, caller: Caller) -> UserView:
    return await user_view(tx, await own_user(tx, caller))


async def change_password(
    *, tx: Tx, caller: Caller, current: str, new: str, confirm: str | None = None
) -> None:
    user = await own_user(tx, caller)
    errors = Errors()
    if not verify_password(tx.ctx.hasher, user.password_hash, current):
        errors.add("current_password", "The current password is not correct.")
    problem = password_problems(new, username=user.username, min_length=tx.ctx.settings.min_password_length)
    if problem:
        errors.add("new_password", problem)
    elif confirm is not None and confirm != new:
        errors.add("confirm_password", "The two new passwords differ.")
    elif verify_password(tx.ctx.hasher, user.password_hash, new):
        errors.add("new_password", "Choose a password different from the current one.")
    errors.raise_if_any()
    user.password_hash = tx.ctx.hasher.hash(new)
    user.password_changed_at = tx.now
    await record(tx, event="password.changed", caller=caller, org_id=user.org_id, subject=user.username)
    tx.mark_changed(user.id)


async def mfa_begin(*, tx: Tx, caller: Caller) -> bytes:
    """A new (not yet enabled) TOTP secret, sealed on the user row until confirmed."""
    user = await own_user(tx, caller)
    if user.mfa_enabled:
        raise ProblemError(409, detail="two-factor authentication is already on; disable it first")
    secret = new_totp_secret()
    user.mfa_secret, user.mfa_last_step = tx.ctx.box.seal(secret, aad=user.id), None
    await record(tx, event="mfa.enrolment.started", caller=caller, org_id=user.org_id, subject=user.username)
    return secret


def pending_secret(tx: Tx, user: User) -> bytes | None:
    if user.mfa_enabled or not user.mfa_secret:
        return None
    return tx.ctx.box.open(user.mfa_secret, aad=user.id)


async def mfa_confirm(*, tx: Tx, caller: Caller, code: str) -> None:
    user = await own_user(tx, caller)
    secret = pending_secret(tx, user)
    if secret is None:
        raise ProblemError(409, detail="start the enrolment first")
    step = matching_step(secret, code.strip(), now=tx.now.timestamp(), last_step=None)
    if step is None:
        raise ValidationFailed([{"field": "code", "message": "That code is not valid; try the current one."}])
    user.mfa_enabled, user.mfa_last_step = True, step
    await record(
        tx, event="mfa.enabled", caller=caller, org_id=user.org_id, subject=user.username,
        before={"mfa_enabled": False}, after={"mfa_enabled": True},
    )  # fmt: skip
    tx.mark_changed(user.id)


async def mfa_disable(*, tx: Tx, caller: Caller, password: str) -> None:
    user = await own_user(tx, caller)
    if not verify_password(tx.ctx.hasher, user.password_hash, password):
        raise ValidationFailed([{"field": "password", "message": "The password is not correct."}])
    before = user.mfa_enabled
    user.mfa_secret, user.mfa_enabled, user.mfa_last_step = None, False, None
    await record(
        tx, event="mfa.disabled", caller=caller, org_id=user.org_id, subject=user.username,
        before={"mfa_enabled": before}, after={"mfa_enabled": False},
    )  # fmt: skip
    tx.mark_changed(user.id)


async def _issue(
    tx: Tx, caller: Caller, user: User, held: Sequence[Entitlement], *, name: str,
    actions: Sequence[str] | None, expires_at: datetime | None,
) -> tuple[ApiToken, str]:  # fmt: skip
    if actions is not None:
        wanted = [Entitlement(action=a) for a in actions]
        held_actions = [Entitlement(action=e.action) for e in held]
        beyond = uncovered(held_actions, wanted) + sorted(set(actions) & SERVICE_ACTIONS)
        if beyond:
            raise ValidationFailed([{"field": "actions", "message": f"You do not hold {', '.join(beyond)}."}])
    token_id, token = new_api_token()
    row = ApiToken(
        id=token_id, user_id=user.id, name=name, token_hash=token_hash(token), prefix=token[: 4 + 16 + 5],
        actions=sorted(actions) if actions is not None else None, created_at=tx.now, expires_at=expires_at,
    )  # fmt: skip
    tx.session.add(row)
    await tx.session.flush()
    await record(
        tx, event="token.created", caller=caller, org_id=user.org_id, subject=user.username,
        after={"token_id": token_id, "name": name, "actions": row.actions,
               "expires_at": expires_at.isoformat() if expires_at else None},
    )  # fmt: skip
    tx.mark_changed(user.id)
    return row, token


async def create_token(
    *,
    tx: Tx,
    caller: Caller,
    name: str,
    actions: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A token for the caller itself, narrowed to a subset of its own actions. The token text
    (`sbt_<id>_<secret>`) is returned once and never stored."""
    user = await own_user(tx, caller)
    return await _issue(
        tx,
        caller,
        user,
        await caller_entitlements(tx, caller),
        name=name,
        actions=actions,
        expires_at=expires_at,
    )


async def create_token_for(
    *, tx: Tx, caller: Caller, user_id: str, name: str, actions: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:  # fmt: skip
    """An administrator (or the CLI's system caller) issues a token for a user it manages."""
    _, user = await visible_user(tx, caller, MANAGE_USERS, user_id)
    held = await repo.effective_entitlements(tx.session, user.id)
    if uncovered(await caller_entitlements(tx, caller), held):
        raise ProblemError(403, detail=f"{user.username} holds entitlements you lack")
    return await _issue(tx, caller, user, held, name=name, actions=actions, expires_at=expires_at)


async def list_tokens(*, tx: Tx, caller: Caller) -> list[ApiToken]:
    user = await own_user(tx, caller)
    return await repo.tokens_of(tx.session, user.id)


async def revoke_token(*, tx: Tx, caller: Caller, token_id: str) -> ApiToken:
    user = await own_user(tx, caller)
    row = await repo.get_token(tx.session, token_id)
    if row is None or row.user_id != user.id:
        raise ProblemError(404, detail="no such token")
    if row.revoked_at is None:
        row.revoked_at = tx.now
        await record(
            tx, event="token.revoked", caller=caller, org_id=user.org_id, subject=user.username,
            before={"token_id": row.id, "revoked": False}, after={"token_id": row.id, "revoked": True},
        )  # fmt: skip
        tx.mark_changed(user.id)
    return row
