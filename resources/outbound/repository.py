"""outbound queries (nothing here decides anything)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.outbound.models import LINE, AuditRow, CodeRow, ObjectRow


async def objects(session: AsyncSession, *, customer_id: str, kind: str | None = None) -> list[ObjectRow]:
    query = select(ObjectRow).where(ObjectRow.customer_id == customer_id)
    if kind is not None:
        query = query.where(ObjectRow.kind == kind)
    rows = await session.execute(query.order_by(ObjectRow.kind, ObjectRow.name))
    return list(rows.scalars())


async def get(session: AsyncSession, *, customer_id: str, kind: str, name: str) -> ObjectRow | None:
    return await session.get(ObjectRow, (customer_id, kind, name))


async def line_owner(session: AsyncSession, number: str) -> ObjectRow | None:
    """The line with this number, whichever customer has it."""
    rows = await session.execute(
        select(ObjectRow).where(ObjectRow.kind == LINE, ObjectRow.line_number == number)
    )
    return rows.scalars().first()


async def code(session: AsyncSession, number: str) -> CodeRow | None:
    return await session.get(CodeRow, number)


async def codes(session: AsyncSession, *, customer_id: str) -> list[CodeRow]:
    rows = await session.execute(select(CodeRow).where(CodeRow.customer_id == customer_id))
    return list(rows.scalars())


async def audit(session: AsyncSession, *, customer_id: str, limit: int) -> list[AuditRow]:
    rows = await session.execute(
        select(AuditRow)
        .where(AuditRow.customer_id == customer_id)
        .order_by(AuditRow.at.desc(), AuditRow.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def add(session: AsyncSession, row: ObjectRow | CodeRow | AuditRow) -> None:
    session.add(row)


async def delete(session: AsyncSession, row: ObjectRow | CodeRow) -> None:
    await session.delete(row)


async def customers(session: AsyncSession) -> list[str]:
    """Every customer with outbound objects."""
    rows = await session.execute(select(ObjectRow.customer_id).distinct().order_by(ObjectRow.customer_id))
    return list(rows.scalars())
