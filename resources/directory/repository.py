"""Queries. No logic beyond filtering; tenancy decisions are the service's."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.directory.entitlements import merge
from resources.directory.models import (
    ApiToken,
    AuditRow,
    Org,
    Role,
    RoleEntitlement,
    User,
    UserEntitlement,
    UserRole,
)
from resources.directory.tenancy import OrgNode, OrgTree
from resources.kit.caller import Entitlement
from resources.kit.sqlite_inline import get_by_key, select_rows


async def load_tree(session: AsyncSession) -> OrgTree:
    rows = (
        await session.execute(select(Org.id, Org.name, Org.kind, Org.parent_id, Org.brand, Org.suspended_at))
    ).all()
    return OrgTree(
        OrgNode(
            id=r.id, name=r.name, kind=r.kind, parent_id=r.parent_id, brand=r.brand,
            suspended=r.suspended_at is not None,
        )
        for r in rows
    )  # fmt: skip


async def get_org(session: AsyncSession, org_id: str) -> Org | None:
    return await session.get(Org, org_id)


async def user_by_id(session: AsyncSession, user_id: str) -> User | None:
    """In a read-only unit of work on SQLite a transient copy read inline (every request's
    principal and /me read it), otherwise the session's own (tracked) object."""
    return await get_by_key(session, User, user_id)


async def user_by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()


async def list_users(
    session: AsyncSession, *, org_ids: Collection[str], q: str | None, limit: int, offset: int
) -> tuple[list[User], int]:
    where: list[ColumnElement[bool]] = [User.org_id.in_(sorted(org_ids))]
    if q:
        like = f"%{q.lower()}%"
        where.append(func.lower(User.username).like(like) | func.lower(User.display_name).like(like))
    total = (await session.execute(select(func.count()).select_from(User).where(*where))).scalar_one()
    rows = await session.execute(
        select(User).where(*where).order_by(User.username).limit(limit).offset(offset)
    )
    return list(rows.scalars()), int(total)


async def role_ids_of(session: AsyncSession, user_id: str) -> list[str]:
    rows = await session.execute(
        select(UserRole.role_id).where(UserRole.user_id == user_id).order_by(UserRole.role_id)
    )
    return list(rows.scalars())


async def direct_entitlements(session: AsyncSession, user_id: str) -> tuple[Entitlement, ...]:
    rows = await session.execute(
        select(UserEntitlement.action, UserEntitlement.scope)
        .where(UserEntitlement.user_id == user_id)
        .order_by(UserEntitlement.action)
    )
    return tuple(_ent(r.action, r.scope) for r in rows)


async def role_entitlements(
    session: AsyncSession, role_ids: Iterable[str]
) -> dict[str, tuple[Entitlement, ...]]:
    ids = sorted(set(role_ids))
    out: dict[str, list[Entitlement]] = {i: [] for i in ids}
    rows = await session.execute(
        select(RoleEntitlement.role_id, RoleEntitlement.action, RoleEntitlement.scope)
        .where(RoleEntitlement.role_id.in_(ids))
        .order_by(RoleEntitlement.action)
    )
    for r in rows:
        out[r.role_id].append(_ent(r.action, r.scope))
    return {k: tuple(v) for k, v in out.items()}


# Built once (SQLAlchemy caches their compiled form): a user's roles with their grants, and the
# user's direct grants — two statements for everything user_view / a principal needs.
_ROLES_WITH_GRANTS = (
    select(UserRole.role_id, RoleEntitlement.action, RoleEntitlement.scope)
    .outerjoin(RoleEntitlement, RoleEntitlement.role_id == UserRole.role_id)
    .where(UserRole.user_id == bindparam("user_id"))
    .order_by(UserRole.role_id, RoleEntitlement.action)
)
_DIRECT_GRANTS = (
    select(UserEntitlement.action, UserEntitlement.scope)
    .where(UserEntitlement.user_id == bindparam("user_id"))
    .order_by(UserEntitlement.action)
)


async def grants_of(
    session: AsyncSession, user_id: str
) -> tuple[list[str], tuple[Entitlement, ...], tuple[Entitlement, ...]]:
    """(role ids sorted, direct grants, effective = roles' grants + direct) in two queries."""
    roles: list[str] = []
    from_roles: list[Entitlement] = []
    params = {"user_id": user_id}
    for role_id, action, scope in await select_rows(session, _ROLES_WITH_GRANTS, params):
        if not roles or roles[-1] != role_id:
            roles.append(role_id)
        if action is not None:
            from_roles.append(_ent(action, scope))
    direct = tuple(_ent(a, scope) for a, scope in await select_rows(session, _DIRECT_GRANTS, params))
    return roles, direct, merge([*from_roles, *direct])


async def effective_entitlements(session: AsyncSession, user_id: str) -> tuple[Entitlement, ...]:
    """Union of the user's roles' entitlements and direct grants."""
    return (await grants_of(session, user_id))[2]


async def list_roles(session: AsyncSession) -> list[Role]:
    return list((await session.execute(select(Role).order_by(Role.id))).scalars())


async def replace_grants(
    session: AsyncSession, *, user_id: str, role_ids: Sequence[str], entitlements: Sequence[Entitlement]
) -> None:
    await session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    await session.execute(delete(UserEntitlement).where(UserEntitlement.user_id == user_id))
    session.add_all(UserRole(user_id=user_id, role_id=r) for r in sorted(set(role_ids)))
    session.add_all(
        UserEntitlement(
            user_id=user_id, action=e.action, scope=list(e.scope) if e.scope is not None else None
        )
        for e in entitlements
    )
    await session.flush()


async def get_token(session: AsyncSession, token_id: str) -> ApiToken | None:
    return await session.get(ApiToken, token_id)


async def tokens_of(session: AsyncSession, user_id: str) -> list[ApiToken]:
    rows = await session.execute(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at, ApiToken.id)
    )
    return list(rows.scalars())


async def add_audit(db: AsyncSession, /, **values: Any) -> AuditRow:
    row = AuditRow(**values)
    db.add(row)
    await db.flush()
    return row


async def list_audit(
    session: AsyncSession,
    *,
    org_ids: Collection[str] | None,
    event: str | None,
    limit: int,
    offset: int,
    since: datetime | None = None,
) -> tuple[list[AuditRow], int]:
    """`org_ids=None` = all rows (provider), else rows about those orgs."""
    where: list[ColumnElement[bool]] = []
    if org_ids is not None:
        where.append(AuditRow.org_id.in_(sorted(org_ids)))
    if event:
        where.append(AuditRow.event == event)
    if since is not None:
        where.append(AuditRow.at >= since)
    total = (await session.execute(select(func.count()).select_from(AuditRow).where(*where))).scalar_one()
    rows = await session.execute(
        select(AuditRow)
        .where(*where)
        .order_by(AuditRow.at.desc(), AuditRow.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total)


def _ent(action: str, scope: list[str] | None) -> Entitlement:
    return Entitlement(action=action, scope=tuple(scope) if scope is not None else None)
