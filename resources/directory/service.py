"""Administration of users and entitlements, always within the caller's tenancy.

Every function is keyword-only and takes a `Tx` (one transaction; commit + `directory.changed`
happen when the `transaction()` block ends) and the `Caller`. The CLI uses `system_caller()`.
Foreign users answer 404, exactly like unknown ones, so tenancy never leaks existence.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from resources.directory import repository as repo
from resources.directory.audit import record
from resources.directory.context import Tx
from resources.directory.crypto import temporary_password
from resources.directory.entitlements import covers, merge, narrow, uncovered
from resources.directory.manifest import (
    ACTIONS,
    MANAGE_ENTITLEMENTS,
    MANAGE_USERS,
    VIEW_AUDIT,
    VIEW_USERS,
)
from resources.directory.models import AuditRow, Role, User
from resources.directory.schemas import Errors, Grants, NewUser, ent_json, parse_new_user, password_problems
from resources.directory.tenancy import OrgTree
from resources.kit.caller import Caller, Entitlement
from resources.kit.errors import ProblemError, ValidationFailed

SERVICE_ACTIONS = frozenset(a.name for a in ACTIONS if a.scope_kind == "service")
PERSON_ACTIONS = tuple(a.name for a in ACTIONS if a.scope_kind != "service")


def system_caller(*, org_id: str = "switchboard", actions: Iterable[str] = PERSON_ACTIONS) -> Caller:
    """A provider-level caller for the CLI (`switchboard user …`, `switchboard token create`)."""
    return Caller(
        subject="service:cli",
        username="cli",
        kind="service",
        plane="service",
        org_id=org_id,
        customer_id=None,
        reseller_chain=(),
        brand="default",
        entitlements=tuple(Entitlement(action=a) for a in actions),
        session=None,
        request_id=None,
        jti="cli",
    )


@dataclass(frozen=True, kw_only=True)
class UserView:
    user: User
    roles: list[str]
    direct: tuple[Entitlement, ...]
    effective: tuple[Entitlement, ...]


def require(caller: Caller, action: str) -> None:
    if not caller.has(action):
        raise ProblemError(403, detail=f"you lack {action}")


def not_found() -> ProblemError:
    return ProblemError(404, detail="no such user")


async def caller_entitlements(tx: Tx, caller: Caller) -> tuple[Entitlement, ...]:
    """Everything the caller holds across all resources (the assertion only carries the
    directory's): the directory's own record, narrowed by the API token in use, if any."""
    user = (
        await repo.user_by_id(tx.session, caller.subject)
        if caller.kind not in ("service", "element")
        else None
    )
    if user is None:
        return caller.entitlements
    held = await repo.effective_entitlements(tx.session, user.id)
    if caller.session and caller.session.startswith("token:"):
        token = await repo.get_token(tx.session, caller.session.removeprefix("token:"))
        held = narrow(held, token.actions) if token is not None and token.user_id == user.id else ()
    return held


async def visible_orgs(tx: Tx, caller: Caller, action: str) -> tuple[OrgTree, frozenset[str]]:
    require(caller, action)
    tree = await repo.load_tree(tx.session)
    return tree, tree.visible(caller.org_id, caller.scope_for(action))


async def visible_user(tx: Tx, caller: Caller, action: str, user_id: str) -> tuple[OrgTree, User]:
    tree, orgs = await visible_orgs(tx, caller, action)
    user = await repo.user_by_id(tx.session, user_id)
    if user is None or user.org_id not in orgs:
        raise not_found()
    return tree, user


async def user_view(tx: Tx, user: User) -> UserView:
    roles, direct, effective = await repo.grants_of(tx.session, user.id)
    return UserView(user=user, roles=roles, direct=direct, effective=effective)


async def require_manageable(tx: Tx, caller: Caller, target: User) -> None:
    """A caller may act on a user only when it holds everything that user holds (no reset of
    a stronger account's password to take it over)."""
    beyond = uncovered(
        await caller_entitlements(tx, caller), await repo.effective_entitlements(tx.session, target.id)
    )
    if beyond:
        raise ProblemError(403, detail=f"{target.username} holds entitlements you lack: {', '.join(beyond)}")


def _state(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "disabled": user.disabled,
        "mfa_enabled": user.mfa_enabled,
    }


async def list_users(
    *, tx: Tx, caller: Caller, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[User], int]:
    _, orgs = await visible_orgs(tx, caller, VIEW_USERS)
    return await repo.list_users(
        tx.session, org_ids=orgs, q=q, limit=max(1, min(limit, 200)), offset=max(0, offset)
    )


async def role_ids(*, tx: Tx, users: Iterable[User]) -> dict[str, list[str]]:
    return {u.id: await repo.role_ids_of(tx.session, u.id) for u in users}


async def user_id_for(*, tx: Tx, caller: Caller, username: str) -> str:
    """The id of a user the caller can see, by username (for the CLI); 404 otherwise."""
    _, orgs = await visible_orgs(tx, caller, VIEW_USERS)
    user = await repo.user_by_username(tx.session, username.strip().lower())
    if user is None or user.org_id not in orgs:
        raise not_found()
    return user.id


async def get_user(*, tx: Tx, caller: Caller, user_id: str) -> UserView:
    _, user = await visible_user(tx, caller, VIEW_USERS, user_id)
    return await user_view(tx, user)


async def insert_user(tx: Tx, *, data: NewUser, org_id: str) -> tuple[User, str | None]:
    """Insert the user row `data` describes into `org_id` (the caller checked everything).
    Returns the user and the one-time temporary password when `data` carries none."""
    temporary = None if data.password else temporary_password()
    user = User(
        id=uuid.uuid4().hex,
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        phone=data.phone,
        org_id=org_id,
        password_hash=tx.ctx.hasher.hash(data.password or temporary or ""),
        disabled=False,
        failed_count=0,
        mfa_enabled=False,
        password_changed_at=tx.now,
        created_at=tx.now,
    )
    tx.session.add(user)
    await tx.session.flush()
    return user, temporary


async def add_user(
    *,
    tx: Tx,
    caller: Caller,
    username: str,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    org_id: str | None = None,
    password: str | None = None,
    roles: Sequence[str] = (),
) -> tuple[User, str | None]:
    """Create a user in the caller's org (or `org_id` inside its tenancy). Returns the user and
    the one-time temporary password when none was given."""
    data = parse_new_user(
        {"username": username, "display_name": display_name, "email": email, "phone": phone,
         "org_id": org_id, "password": password, "roles": list(roles)},
        min_password_length=tx.ctx.settings.min_password_length,
    )  # fmt: skip
    tree, orgs = await visible_orgs(tx, caller, MANAGE_USERS)
    target_org = data.org_id or caller.org_id
    if target_org not in orgs:
        raise ValidationFailed([{"field": "org_id", "message": "No such organisation."}])
    if await repo.user_by_username(tx.session, data.username) is not None:
        raise ValidationFailed([{"field": "username", "message": "This username is taken."}])
    user, temporary = await insert_user(tx, data=data, org_id=target_org)
    if data.roles:
        require(caller, MANAGE_ENTITLEMENTS)
        await _check_grants(tx, caller, tree, user, Grants(roles=data.roles, entitlements=()))
        await repo.replace_grants(tx.session, user_id=user.id, role_ids=data.roles, entitlements=())
    await record(
        tx, event="user.created", caller=caller, org_id=user.org_id, subject=user.username,
        after=_state(user) | {"org_id": user.org_id, "roles": sorted(data.roles)},
    )  # fmt: skip
    tx.mark_changed(user.id)
    return user, temporary


async def update_user(
    *,
    tx: Tx,
    caller: Caller,
    user_id: str,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    fields: Iterable[str] = (),
) -> User:
    """Change the profile fields named in `fields` (a None value clears email/phone)."""
    _, user = await visible_user(tx, caller, MANAGE_USERS, user_id)
    before = _state(user)
    fields = set(fields)
    if "display_name" in fields and display_name:
        user.display_name = display_name
    if "email" in fields:
        user.email = email
    if "phone" in fields:
        user.phone = phone
    if _state(user) != before:
        await record(
            tx, event="user.updated", caller=caller, org_id=user.org_id, subject=user.username,
            before=before, after=_state(user),
        )  # fmt: skip
        tx.mark_changed(user.id)
    return user


async def set_disabled(*, tx: Tx, caller: Caller, user_id: str, disabled: bool) -> User:
    _, user = await visible_user(tx, caller, MANAGE_USERS, user_id)
    if user.id == caller.subject:
        raise ProblemError(409, detail="you cannot disable or enable your own account")
    await require_manageable(tx, caller, user)
    if user.disabled != disabled:
        before = _state(user)
        user.disabled = disabled
        if not disabled:
            user.failed_count, user.locked_until = 0, None
        await record(
            tx, event="user.disabled" if disabled else "user.enabled", caller=caller, org_id=user.org_id,
            subject=user.username, before=before, after=_state(user),
        )  # fmt: skip
        tx.mark_changed(user.id)
    return user


async def disable_user(*, tx: Tx, caller: Caller, user_id: str) -> User:
    return await set_disabled(tx=tx, caller=caller, user_id=user_id, disabled=True)


async def enable_user(*, tx: Tx, caller: Caller, user_id: str) -> User:
    return await set_disabled(tx=tx, caller=caller, user_id=user_id, disabled=False)


async def set_password(*, tx: Tx, caller: Caller, user_id: str, password: str | None = None) -> str | None:
    """Set (or, with `password=None`, reset to a generated one-time) password; unlocks the
    account. Returns the temporary password, if generated."""
    _, user = await visible_user(tx, caller, MANAGE_USERS, user_id)
    await require_manageable(tx, caller, user)
    if password is not None and (
        problem := password_problems(
            password, username=user.username, min_length=tx.ctx.settings.min_password_length
        )
    ):
        raise ValidationFailed([{"field": "password", "message": problem}])
    temporary = None if password is not None else temporary_password()
    user.password_hash = tx.ctx.hasher.hash(password if password is not None else temporary or "")
    user.password_changed_at = tx.now
    user.failed_count, user.locked_until = 0, None
    await record(
        tx, event="password.reset", caller=caller, org_id=user.org_id, subject=user.username,
        detail={"generated": temporary is not None},
    )  # fmt: skip
    tx.mark_changed(user.id)
    return temporary


async def reset_password(*, tx: Tx, caller: Caller, user_id: str) -> str:
    temporary = await set_password(tx=tx, caller=caller, user_id=user_id)
    assert temporary is not None
    return temporary


async def reset_mfa(*, tx: Tx, caller: Caller, user_id: str) -> User:
    _, user = await visible_user(tx, caller, MANAGE_USERS, user_id)
    await require_manageable(tx, caller, user)
    before = _state(user)
    user.mfa_secret, user.mfa_enabled, user.mfa_last_step = None, False, None
    await record(
        tx, event="mfa.reset", caller=caller, org_id=user.org_id, subject=user.username,
        before=before, after=_state(user),
    )  # fmt: skip
    tx.mark_changed(user.id)
    return user


async def assignable_roles(
    tx: Tx, tree: OrgTree, org_id: str
) -> dict[str, tuple[Role, tuple[Entitlement, ...]]]:
    """Roles owned by the org or one of its ancestors (provider roles are visible to all)."""
    owners = {o.id for o in tree.ancestors(org_id)}
    roles = [r for r in await repo.list_roles(tx.session) if r.org_id in owners]
    ents = await repo.role_entitlements(tx.session, [r.id for r in roles])
    return {r.id: (r, ents[r.id]) for r in roles}


async def _check_grants(tx: Tx, caller: Caller, tree: OrgTree, user: User, grants: Grants) -> None:
    errors = Errors()
    roles = await assignable_roles(tx, tree, user.org_id)
    held = await caller_entitlements(tx, caller)
    for i, role_id in enumerate(grants.roles):
        if role_id not in roles:
            errors.add(f"roles[{i}]", f"No such role: {role_id}.")
        elif beyond := uncovered(held, roles[role_id][1]):
            errors.add(f"roles[{i}]", f"You cannot grant {role_id}: you lack {', '.join(beyond)}.")
    for i, ent in enumerate(grants.entitlements):
        if ent.action in SERVICE_ACTIONS:
            errors.add(f"entitlements[{i}].action", f"{ent.action} is for platform services only.")
        elif not covers(held, ent):
            errors.add(
                f"entitlements[{i}].action",
                f"You cannot grant {ent.action}: you do not hold it on that scope.",
            )
    errors.raise_if_any()


async def set_grants(*, tx: Tx, caller: Caller, user_id: str, grants: Grants) -> UserView:
    """Replace a user's roles and direct entitlements. Refuses: own account, users stronger
    than the caller, and anything the caller does not hold itself (no escalation)."""
    tree, user = await visible_user(tx, caller, MANAGE_ENTITLEMENTS, user_id)
    if user.id == caller.subject:
        raise ProblemError(409, detail="you cannot change your own entitlements")
    await require_manageable(tx, caller, user)
    await _check_grants(tx, caller, tree, user, grants)
    before = await user_view(tx, user)
    await repo.replace_grants(
        tx.session, user_id=user.id, role_ids=grants.roles, entitlements=grants.entitlements
    )
    after = await user_view(tx, user)
    await record(
        tx, event="entitlements.changed", caller=caller, org_id=user.org_id, subject=user.username,
        before={"roles": before.roles, "entitlements": [ent_json(e) for e in before.direct]},
        after={"roles": after.roles, "entitlements": [ent_json(e) for e in after.direct]},
    )  # fmt: skip
    tx.mark_changed(user.id)
    return after


async def grantable(*, tx: Tx, caller: Caller) -> tuple[Entitlement, ...]:
    """What the caller could hand out (its own entitlements minus service actions)."""
    return tuple(e for e in merge(await caller_entitlements(tx, caller)) if e.action not in SERVICE_ACTIONS)


async def list_roles(*, tx: Tx, caller: Caller) -> list[tuple[Role, tuple[Entitlement, ...]]]:
    require(caller, VIEW_USERS)
    tree = await repo.load_tree(tx.session)
    return list((await assignable_roles(tx, tree, caller.org_id)).values())


async def list_audit(
    *, tx: Tx, caller: Caller, event: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[AuditRow], int]:
    tree, orgs = await visible_orgs(tx, caller, VIEW_AUDIT)
    root = tree.root()
    everything = root is not None and caller.org_id == root.id and caller.scope_for(VIEW_AUDIT) is None
    return await repo.list_audit(
        tx.session, org_ids=None if everything else orgs, event=event or None,
        limit=max(1, min(limit, 200)), offset=max(0, offset),
    )  # fmt: skip
