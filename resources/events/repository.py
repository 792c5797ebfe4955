"""events queries (nothing here decides anything)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.events.models import AlarmRow, AuditRow, LogRow, ThresholdRow

# PostgreSQL: log rows are appended under this transaction-level advisory lock, so seq order is
# commit order (a feed reader at cursor N never misses a row with a lower seq committed later)
LOG_LOCK = 642_001


def _key(customer_id: str, alarmed_object: str, probable_cause: str) -> ColumnElement[bool]:
    return and_(
        AlarmRow.customer_id == customer_id,
        AlarmRow.alarmed_object == alarmed_object,
        AlarmRow.probable_cause == probable_cause,
    )


async def open_alarm(
    session: AsyncSession, *, customer_id: str, alarmed_object: str, probable_cause: str
) -> AlarmRow | None:
    rows = await session.execute(
        select(AlarmRow)
        .where(_key(customer_id, alarmed_object, probable_cause), AlarmRow.state != "cleared")
        .execution_options(populate_existing=True)
    )
    return rows.scalars().first()


async def last_cleared(
    session: AsyncSession, *, customer_id: str, alarmed_object: str, probable_cause: str
) -> AlarmRow | None:
    rows = await session.execute(
        select(AlarmRow)
        .where(_key(customer_id, alarmed_object, probable_cause), AlarmRow.state == "cleared")
        .order_by(AlarmRow.cleared_time.desc())
        .limit(1)
    )
    return rows.scalars().first()


async def clearing_due(session: AsyncSession, *, before: datetime) -> list[AlarmRow]:
    rows = await session.execute(
        select(AlarmRow)
        .where(
            AlarmRow.clearing_since.is_not(None),
            AlarmRow.clearing_since <= before,
            AlarmRow.state != "cleared",
        )
        .order_by(AlarmRow.clearing_since, AlarmRow.id)
    )
    return list(rows.scalars())


async def alarm(session: AsyncSession, alarm_id: str) -> AlarmRow | None:
    return await session.get(AlarmRow, alarm_id)


async def alarms(
    session: AsyncSession,
    *,
    customers: Sequence[str] | None,
    filters: dict[str, tuple[str, ...]],
    offset: int,
    limit: int,
) -> tuple[list[AlarmRow], int]:
    """(one page newest raised first, the total that matched)."""
    query = select(AlarmRow)
    if customers is not None:
        query = query.where(AlarmRow.customer_id.in_(customers))
    for column, values in filters.items():
        query = query.where(getattr(AlarmRow, column).in_(values))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(AlarmRow.raised_time.desc(), AlarmRow.id.desc()).offset(offset).limit(limit)
    )
    return list(rows.scalars()), total


async def open_unacknowledged(session: AsyncSession, *, customers: Sequence[str] | None) -> int:
    query = (
        select(func.count())
        .select_from(AlarmRow)
        .where(AlarmRow.state != "cleared", AlarmRow.ack_state == "unacknowledged")
    )
    if customers is not None:
        query = query.where(AlarmRow.customer_id.in_(customers))
    return (await session.execute(query)).scalar_one()


async def log(
    session: AsyncSession, *, customers: Sequence[str] | None, after: int, limit: int
) -> list[LogRow]:
    query = select(LogRow).where(LogRow.seq > after)
    if customers is not None:
        query = query.where(LogRow.customer_id.in_(customers))
    rows = await session.execute(query.order_by(LogRow.seq).limit(limit))
    return list(rows.scalars())


async def history(session: AsyncSession, alarm_id: str) -> list[LogRow]:
    rows = await session.execute(select(LogRow).where(LogRow.alarm_id == alarm_id).order_by(LogRow.seq))
    return list(rows.scalars())


async def lock_log(session: AsyncSession) -> None:
    if (await session.connection()).dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(LOG_LOCK)))


async def thresholds(session: AsyncSession, *, customer_id: str | None = None) -> list[ThresholdRow]:
    query = select(ThresholdRow)
    if customer_id is not None:
        query = query.where(ThresholdRow.customer_id == customer_id)
    rows = await session.execute(
        query.order_by(ThresholdRow.customer_id, ThresholdRow.metric, ThresholdRow.target)
    )
    return list(rows.scalars())


async def threshold(
    session: AsyncSession, *, customer_id: str, metric: str, target: str
) -> ThresholdRow | None:
    return await session.get(ThresholdRow, (customer_id, target, metric))


async def audit(session: AsyncSession, *, customer_id: str, limit: int) -> list[AuditRow]:
    rows = await session.execute(
        select(AuditRow)
        .where(AuditRow.customer_id == customer_id)
        .order_by(AuditRow.at.desc(), AuditRow.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())
