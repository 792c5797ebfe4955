"""tickets queries (nothing here decides anything)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from resources.tickets.models import (
    AttachmentRow,
    ChatMessageRow,
    CounterRow,
    HistoryRow,
    NoteRow,
    TicketRow,
)

Q = TypeVar("Q", bound=Select[Any])
UNASSIGNED = "none"  # `assignedTo=none`: tickets nobody works on


@dataclass(frozen=True, kw_only=True)
class Filter:
    customers: Sequence[str] | None = None  # the caller's scope (None: every customer)
    status: Sequence[str] = ()
    severity: Sequence[str] = ()
    ticket_type: Sequence[str] = ()
    customer: str | None = None
    assigned_to: str | None = None
    text: str | None = None  # in the subject or the description, any case


async def next_number(session: AsyncSession, issuer: str) -> int:
    """The issuer's next number, counted in this transaction (a rollback gives it back)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(CounterRow)
        .values(issuer=issuer, last=0)
        .on_conflict_do_nothing(index_elements=["issuer"])
    )
    bumped = await session.execute(
        update(CounterRow)
        .where(CounterRow.issuer == issuer)
        .values(last=CounterRow.last + 1)
        .returning(CounterRow.last)
    )
    return int(bumped.scalar_one())


async def get(session: AsyncSession, ticket_id: str) -> TicketRow | None:
    return await session.get(TicketRow, ticket_id)


async def get_many(session: AsyncSession, ids: Sequence[str]) -> dict[str, TicketRow]:
    rows = await session.execute(select(TicketRow).where(TicketRow.id.in_(list(ids))))
    return {r.id: r for r in rows.scalars()}


def _where(query: Q, f: Filter) -> Q:
    if f.customers is not None:
        query = query.where(TicketRow.customer_id.in_(list(f.customers)))
    if f.status:
        query = query.where(TicketRow.status.in_(list(f.status)))
    if f.severity:
        query = query.where(TicketRow.severity.in_(list(f.severity)))
    if f.ticket_type:
        query = query.where(TicketRow.ticket_type.in_(list(f.ticket_type)))
    if f.customer is not None:
        query = query.where(TicketRow.customer_id == f.customer)
    if f.assigned_to == UNASSIGNED:
        query = query.where(TicketRow.assigned_to.is_(None))
    elif f.assigned_to is not None:
        query = query.where(TicketRow.assigned_to == f.assigned_to)
    if f.text:
        needle = f.text.lower()
        query = query.where(
            or_(
                func.lower(TicketRow.name).contains(needle, autoescape=True),
                func.lower(TicketRow.description).contains(needle, autoescape=True),
            )
        )
    return query


async def search(
    session: AsyncSession, f: Filter, *, offset: int, limit: int, by_due: bool = False
) -> tuple[list[TicketRow], int]:
    """(one page of matching tickets, how many match): newest first, or the soonest due first."""
    if f.customers is not None and not f.customers:
        return [], 0
    total = await session.scalar(_where(select(func.count()).select_from(TicketRow), f))
    order = (
        (TicketRow.expected_resolution_date, TicketRow.id)
        if by_due
        else (TicketRow.created_at.desc(), TicketRow.id.desc())
    )
    rows = await session.scalars(_where(select(TicketRow), f).order_by(*order).offset(offset).limit(limit))
    return list(rows), int(total or 0)


async def notes(session: AsyncSession, ticket_id: str, *, internal: bool) -> list[NoteRow]:
    query = select(NoteRow).where(NoteRow.ticket_id == ticket_id)
    if not internal:
        query = query.where(NoteRow.internal.is_(False))
    return list((await session.execute(query.order_by(NoteRow.id))).scalars())


async def attachments(session: AsyncSession, ticket_id: str) -> list[AttachmentRow]:
    """The attachments without their bytes (reading `content` raises)."""
    query = (
        select(AttachmentRow)
        .where(AttachmentRow.ticket_id == ticket_id)
        .options(defer(AttachmentRow.content, raiseload=True))
        .order_by(AttachmentRow.id)
    )
    return list((await session.execute(query)).scalars())


async def attachment(session: AsyncSession, ticket_id: str, attachment_id: int) -> AttachmentRow | None:
    row = await session.get(AttachmentRow, attachment_id)
    return row if row is not None and row.ticket_id == ticket_id else None


async def history(session: AsyncSession, ticket_id: str) -> list[HistoryRow]:
    query = select(HistoryRow).where(HistoryRow.ticket_id == ticket_id).order_by(HistoryRow.seq)
    return list((await session.execute(query)).scalars())


async def chat_messages(session: AsyncSession, ticket_id: str) -> list[ChatMessageRow]:
    """The ticket's chat transcript, oldest first."""
    query = select(ChatMessageRow).where(ChatMessageRow.ticket_id == ticket_id).order_by(ChatMessageRow.id)
    return list((await session.execute(query)).scalars())


async def chat_waiting(session: AsyncSession, ticket_ids: Sequence[str]) -> set[str]:
    """Those of the tickets whose last chat message is a customer's (no staff reply yet)."""
    if not ticket_ids:
        return set()
    last = (
        select(func.max(ChatMessageRow.id).label("id"))
        .where(ChatMessageRow.ticket_id.in_(list(ticket_ids)))
        .group_by(ChatMessageRow.ticket_id)
        .subquery()
    )
    query = (
        select(ChatMessageRow.ticket_id)
        .join(last, ChatMessageRow.id == last.c.id)
        .where(ChatMessageRow.author_kind == "customer")
    )
    return set((await session.execute(query)).scalars())


def add(session: AsyncSession, row: TicketRow | NoteRow | AttachmentRow | ChatMessageRow) -> None:
    session.add(row)
