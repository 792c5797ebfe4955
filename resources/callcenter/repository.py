"""callcenter queries: revisions and audit rows (nothing here decides anything)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.callcenter.models import AuditRow, RevisionRow


async def revisions(session: AsyncSession, *, customer_id: str, kind: str, name: str) -> list[RevisionRow]:
    """One object's revisions, by number."""
    rows = await session.execute(
        select(RevisionRow)
        .where(RevisionRow.customer_id == customer_id, RevisionRow.kind == kind, RevisionRow.name == name)
        .order_by(RevisionRow.number)
    )
    return list(rows.scalars())


async def revisions_of_kind(session: AsyncSession, *, customer_id: str, kind: str) -> list[RevisionRow]:
    """Every revision of the customer's sites (or distributions), by name then number."""
    rows = await session.execute(
        select(RevisionRow)
        .where(RevisionRow.customer_id == customer_id, RevisionRow.kind == kind)
        .order_by(RevisionRow.name, RevisionRow.number)
    )
    return list(rows.scalars())


async def revisions_of_customer(session: AsyncSession, *, customer_id: str) -> list[RevisionRow]:
    """Every revision of the customer's sites and distributions."""
    rows = await session.execute(select(RevisionRow).where(RevisionRow.customer_id == customer_id))
    return list(rows.scalars())


async def revisions_of_every_customer(session: AsyncSession, *, kind: str) -> list[RevisionRow]:
    """Every revision of one kind, of every customer, by customer, name and number."""
    rows = await session.execute(
        select(RevisionRow)
        .where(RevisionRow.kind == kind)
        .order_by(RevisionRow.customer_id, RevisionRow.name, RevisionRow.number)
    )
    return list(rows.scalars())


async def audit(session: AsyncSession, *, customer_id: str, limit: int) -> list[AuditRow]:
    """The customer's newest audit rows first."""
    rows = await session.execute(
        select(AuditRow)
        .where(AuditRow.customer_id == customer_id)
        .order_by(AuditRow.at.desc(), AuditRow.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def add(session: AsyncSession, row: RevisionRow | AuditRow) -> None:
    session.add(row)
