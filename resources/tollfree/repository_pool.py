"""Queries for number pools and the tenancy replica. No logic beyond filtering (pool.py and
tenancy.py decide)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.tollfree.models import AuditRow, PoolEntry, TenancyOrg

POOL_ASSIGN = "pool.assign"


# --- pool ----------------------------------------------------------------------------------------


async def list_pool(session: AsyncSession, *, holder: str | None = None) -> list[PoolEntry]:
    query = select(PoolEntry).order_by(PoolEntry.holder, PoolEntry.tfn)
    if holder is not None:
        query = query.where(PoolEntry.holder == holder)
    return list((await session.execute(query)).scalars())


async def lock_entry(session: AsyncSession, tfn: str) -> PoolEntry | None:
    """The pool row, locked until commit on PostgreSQL (two assignments of one number queue)."""
    query = select(PoolEntry).where(PoolEntry.tfn == tfn).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_entry(session: AsyncSession, tfn: str) -> PoolEntry | None:
    return await session.get(PoolEntry, tfn)


async def assigned_from(session: AsyncSession, *, tfn: str, customer_id: str) -> str | None:
    """The pool a number was last assigned to this customer from (its `pool.assign` audit row),
    None when it was assigned directly."""
    query = (
        select(AuditRow)
        .where(AuditRow.target == tfn, AuditRow.customer_id == customer_id, AuditRow.action == POOL_ASSIGN)
        .order_by(AuditRow.id.desc())
        .limit(1)
    )
    row = (await session.execute(query)).scalar_one_or_none()
    before = row.before if row is not None else None
    holder = before.get("pool") if isinstance(before, dict) else None
    return holder if isinstance(holder, str) else None


# --- tenancy replica ----------------------------------------------------------------------------


async def tenancy_rows(session: AsyncSession) -> list[TenancyOrg]:
    return list((await session.execute(select(TenancyOrg).order_by(TenancyOrg.id))).scalars())


async def replace_tenancy(session: AsyncSession, rows: Iterable[TenancyOrg]) -> None:
    await session.execute(delete(TenancyOrg))
    session.add_all(list(rows))
    await session.flush()
