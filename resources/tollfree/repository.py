"""Queries. No logic beyond filtering; access decisions are the service's (access.py)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.tollfree import origin as engine_origin
from resources.tollfree.models import (
    AuditRow,
    Event,
    LabelRow,
    Number,
    OriginEntry,
    SiteRow,
    Template,
    Version,
)
from resources.tollfree.scp import ScpRow

LIVE_STATES = ("ACTIVE", "PENDING")


# --- numbers, templates, the customer's catalog ------------------------------------------------


async def get_number(session: AsyncSession, tfn: str) -> Number | None:
    return await session.get(Number, tfn)


async def list_numbers(session: AsyncSession, *, customer_id: str | None = None) -> list[Number]:
    query = select(Number).order_by(Number.tfn)
    if customer_id is not None:
        query = query.where(Number.customer_id == customer_id)
    return list((await session.execute(query)).scalars())


async def customer_chains(session: AsyncSession, customer_id: str) -> list[tuple[str, ...]]:
    """The reseller chains of a customer's numbers (who serves that customer)."""
    rows = await session.execute(select(Number.reseller_chain).where(Number.customer_id == customer_id))
    return [tuple(chain or ()) for chain in rows.scalars()]


async def lock_number(session: AsyncSession, tfn: str) -> Number | None:
    """The number row, locked until commit on PostgreSQL (SQLite's BEGIN IMMEDIATE already
    serialises writers): two activations of one target queue instead of racing."""
    query = select(Number).where(Number.tfn == tfn).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def lock_template(session: AsyncSession, name: str) -> Template | None:
    query = select(Template).where(Template.name == name).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def lock_target(session: AsyncSession, target: str) -> None:
    """Lock a number's or template's row (see `lock_number`)."""
    if target.startswith("*"):
        await lock_template(session, target)
    else:
        await lock_number(session, target)


async def get_template(session: AsyncSession, name: str) -> Template | None:
    return await session.get(Template, name)


async def list_templates(session: AsyncSession, *, customer_id: str | None = None) -> list[Template]:
    query = select(Template).order_by(Template.name)
    if customer_id is not None:
        query = query.where(Template.customer_id == customer_id)
    return list((await session.execute(query)).scalars())


async def list_labels(session: AsyncSession, *, customer_id: str | None = None) -> list[LabelRow]:
    query = select(LabelRow).order_by(LabelRow.customer_id, LabelRow.name)
    if customer_id is not None:
        query = query.where(LabelRow.customer_id == customer_id)
    return list((await session.execute(query)).scalars())


async def get_label(session: AsyncSession, customer_id: str, name: str) -> LabelRow | None:
    return await session.get(LabelRow, (customer_id, name))


async def list_sites(session: AsyncSession, *, customer_id: str | None = None) -> list[SiteRow]:
    query = select(SiteRow).order_by(SiteRow.customer_id, SiteRow.name)
    if customer_id is not None:
        query = query.where(SiteRow.customer_id == customer_id)
    return list((await session.execute(query)).scalars())


async def get_site(session: AsyncSession, customer_id: str, name: str) -> SiteRow | None:
    return await session.get(SiteRow, (customer_id, name))


# --- versions and their events ----------------------------------------------------------------


async def versions_of(
    session: AsyncSession, *, target: str, customer_id: str, states: Collection[str] | None = None
) -> list[Version]:
    query = select(Version).where(Version.target == target, Version.customer_id == customer_id)
    if states is not None:
        query = query.where(Version.state.in_(sorted(states)))
    return list((await session.execute(query.order_by(Version.number))).scalars())


async def versions_for(
    session: AsyncSession, *, targets: Collection[str], states: Collection[str]
) -> list[Version]:
    if not targets:
        return []
    query = (
        select(Version)
        .where(Version.target.in_(sorted(targets)), Version.state.in_(sorted(states)))
        .order_by(Version.target, Version.number)
    )
    return list((await session.execute(query)).scalars())


async def get_version(session: AsyncSession, *, target: str, customer_id: str, number: int) -> Version | None:
    query = select(Version).where(
        Version.target == target, Version.customer_id == customer_id, Version.number == number
    )
    return (await session.execute(query)).scalar_one_or_none()


async def active_version(session: AsyncSession, target: str) -> Version | None:
    query = select(Version).where(Version.target == target, Version.state == "ACTIVE")
    return (await session.execute(query)).scalar_one_or_none()


async def next_number(session: AsyncSession, target: str) -> int:
    """Numbering continues across customers (a number reassigned keeps its history's numbers)."""
    current = await session.execute(select(func.max(Version.number)).where(Version.target == target))
    return int(current.scalar_one() or 0) + 1


async def due_versions(session: AsyncSession, now: datetime) -> list[Version]:
    """PENDING versions whose effective time has come, oldest first."""
    query = (
        select(Version)
        .where(Version.state == "PENDING", Version.effective_at <= now)
        .order_by(Version.effective_at, Version.target, Version.number)
    )
    return list((await session.execute(query)).scalars())


async def events_of(session: AsyncSession, version_id: str) -> list[Event]:
    query = select(Event).where(Event.version_id == version_id).order_by(Event.id)
    return list((await session.execute(query)).scalars())


async def scp_rows(session: AsyncSession, targets: Sequence[str] | None = None) -> list[ScpRow]:
    """Every ACTIVE and PENDING version (of `targets`, or all) as the SCP loads them."""
    query = select(Version).where(Version.state.in_(LIVE_STATES))
    if targets is not None:
        if not targets:
            return []
        query = query.where(Version.target.in_(sorted(set(targets))))
    rows = (await session.execute(query.order_by(Version.target, Version.number))).scalars()
    return [
        ScpRow(
            target=v.target,
            customer_id=v.customer_id,
            version_id=v.id,
            number=v.number,
            state=v.state,
            effective_at=v.effective_at or v.created_at,
            document=v.document,
            snapshot=v.snapshot or {},
        )
        for v in rows
    ]


# --- audit -------------------------------------------------------------------------------------


async def add_audit(session: AsyncSession, row: AuditRow) -> AuditRow:
    session.add(row)
    await session.flush()
    return row


async def audit_of(
    session: AsyncSession, *, target: str, customer_id: str, limit: int = 500
) -> list[AuditRow]:
    query = (
        select(AuditRow)
        .where(AuditRow.target == target, AuditRow.customer_id == customer_id)
        .order_by(AuditRow.id.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def search_audit(
    session: AsyncSession,
    *,
    customers: Collection[str] | None,
    target: str | None,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    before: int | None,
    limit: int,
) -> list[AuditRow]:
    """Audit rows newest first. `customers` None: every row (also those of no customer);
    `action` matches itself and `<action>.*`; `until` is exclusive; `before` an id cursor."""
    query = select(AuditRow)
    if customers is not None:
        query = query.where(AuditRow.customer_id.in_(sorted(customers)))
    if target is not None:
        query = query.where(AuditRow.target == target)
    if actor is not None:
        query = query.where(func.lower(AuditRow.actor_name) == actor.lower())
    if action is not None:
        query = query.where(
            or_(AuditRow.action == action, AuditRow.action.startswith(f"{action}.", autoescape=True))
        )
    if since is not None:
        query = query.where(AuditRow.at >= since)
    if until is not None:
        query = query.where(AuditRow.at < until)
    if before is not None:
        query = query.where(AuditRow.id < before)
    return list((await session.execute(query.order_by(AuditRow.id.desc()).limit(limit))).scalars())


# --- origin data -------------------------------------------------------------------------------


async def replace_origin(session: AsyncSession, rows: Iterable[engine_origin.OriginRow]) -> int:
    await session.execute(delete(OriginEntry))
    entries = [
        OriginEntry(npanxx=r.npanxx, lata=r.lata, state=r.state, rate_center=r.rate_center) for r in rows
    ]
    session.add_all(entries)
    await session.flush()
    return len(entries)


async def origin_rows(session: AsyncSession) -> list[engine_origin.OriginRow]:
    """The imported origin data as the engine reads it (`OriginData.build(rows)`)."""
    result = await session.execute(select(OriginEntry).order_by(OriginEntry.npanxx))
    return [
        engine_origin.OriginRow(npanxx=e.npanxx, lata=e.lata, state=e.state, rate_center=e.rate_center)
        for e in result.scalars()
    ]


async def origin_count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(OriginEntry))).scalar_one())
