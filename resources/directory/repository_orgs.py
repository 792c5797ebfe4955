"""Queries for delegated administration (orgs, roles). No logic beyond filtering; the tenancy
decisions are orgs.py's and roles.py's."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.directory.models import Org, Role, RoleEntitlement, User, UserRole
from resources.kit.caller import Entitlement


async def list_orgs(session: AsyncSession, org_ids: Collection[str]) -> list[Org]:
    rows = await session.execute(select(Org).where(Org.id.in_(sorted(org_ids))).order_by(Org.id))
    return list(rows.scalars())


async def user_ids_in(session: AsyncSession, org_ids: Collection[str]) -> list[str]:
    rows = await session.execute(select(User.id).where(User.org_id.in_(sorted(org_ids))).order_by(User.id))
    return list(rows.scalars())


async def user_counts(session: AsyncSession, org_ids: Collection[str]) -> dict[str, int]:
    rows = await session.execute(
        select(User.org_id, func.count()).where(User.org_id.in_(sorted(org_ids))).group_by(User.org_id)
    )
    return {str(org_id): int(n) for org_id, n in rows}


async def users_of_org(session: AsyncSession, org_id: str) -> list[User]:
    rows = await session.execute(select(User).where(User.org_id == org_id).order_by(User.username))
    return list(rows.scalars())


async def get_role(session: AsyncSession, role_id: str) -> Role | None:
    return await session.get(Role, role_id)


async def role_holders(session: AsyncSession, role_id: str) -> list[str]:
    """Ids of the users holding the role."""
    rows = await session.execute(
        select(UserRole.user_id).where(UserRole.role_id == role_id).order_by(UserRole.user_id)
    )
    return list(rows.scalars())


async def add_user_role(session: AsyncSession, *, user_id: str, role_id: str) -> bool:
    """Give the user the role; False when it already had it."""
    if await session.get(UserRole, (user_id, role_id)) is not None:
        return False
    session.add(UserRole(user_id=user_id, role_id=role_id))
    await session.flush()
    return True


async def replace_role_entitlements(
    session: AsyncSession, *, role_id: str, entitlements: Sequence[Entitlement]
) -> None:
    await session.execute(delete(RoleEntitlement).where(RoleEntitlement.role_id == role_id))
    session.add_all(
        RoleEntitlement(
            role_id=role_id, action=e.action, scope=list(e.scope) if e.scope is not None else None
        )
        for e in entitlements
    )
    await session.flush()


async def delete_role(session: AsyncSession, role_id: str) -> None:
    await session.execute(delete(RoleEntitlement).where(RoleEntitlement.role_id == role_id))
    await session.execute(delete(Role).where(Role.id == role_id))
    await session.flush()
