"""Read queries of the traffic store (the write side is store.py).

A `Filter` narrows rows to what a caller may see and what they selected: `customers` / `numbers`
(None = any; a number-scoped filter also lets through the rows at its `sites`), one grain `site`.
Bucket sums are computed in SQL, one row per 5-minute bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from resources.traffic.model import FIELDS, CallRecord
from resources.traffic.models import CallRow, bucket_table, call_table
from resources.traffic.store import row_record


@dataclass(frozen=True, kw_only=True)
class Filter:
    customers: frozenset[str] | None = None  # None = every customer
    numbers: frozenset[str] | None = None  # None = every number
    # with `numbers`: the grain sites (buckets.site, calls.key_site) visible besides those numbers
    sites: frozenset[str] = frozenset()
    site: str | None = None  # the grain's site (buckets.site, calls.key_site)

    @property
    def site_names(self) -> list[str]:
        """`sites` in SQL order, without "" (the grain of calls that went to no site)."""
        return sorted(s for s in self.sites if s)

    @property
    def empty(self) -> bool:
        """Nothing can match (no customers, or neither numbers nor sites)."""
        return self.customers == frozenset() or (self.numbers == frozenset() and not self.site_names)


@dataclass(frozen=True, kw_only=True)
class BucketSum:
    start: datetime
    vector: tuple[int, ...]  # FIELDS order
    peak_concurrent: int  # the sum of the per-grain peaks (exact for one grain, else an upper bound)


def _conditions(f: Filter, customer: Any, number: Any, site: Any) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.customers is not None:
        out.append(customer.in_(sorted(f.customers)))
    if f.numbers is not None:
        names = f.site_names
        if f.numbers and names:
            out.append(or_(number.in_(sorted(f.numbers)), site.in_(names)))
        elif names:
            out.append(site.in_(names))
        else:
            out.append(number.in_(sorted(f.numbers)))
    if f.site is not None:
        out.append(site == f.site)
    return out


async def buckets(
    session: AsyncSession, *, filter: Filter, start: datetime, end: datetime
) -> list[BucketSum]:
    """Counters summed over the filter's grains per bucket with `start <= bucket < end`, oldest
    first; buckets without rows are absent."""
    if filter.empty:
        return []
    t = bucket_table.c
    sums = [func.sum(t[name]) for name in FIELDS]
    query = (
        select(t.start, func.sum(t.peak_concurrent), *sums)
        .where(t.start >= start, t.start < end)
        .where(*_conditions(filter, t.customer_id, t.number, t.site))
        .group_by(t.start)
        .order_by(t.start)
    )
    out: list[BucketSum] = []
    for row in (await session.execute(query)).all():
        values = tuple(int(v or 0) for v in row[2:])
        out.append(BucketSum(start=row[0], vector=values, peak_concurrent=int(row[1] or 0)))
    return out


def _calls_query(
    f: Filter,
    *,
    disposition: str | None,
    call_class: str | None,
    start: datetime | None,
    end: datetime | None,
) -> Select[Any]:
    query = select(call_table).where(CallRow.start.is_not(None))
    query = query.where(*_conditions(f, CallRow.customer_id, CallRow.number, CallRow.key_site))
    if disposition == "open":
        query = query.where(CallRow.disposition.is_(None))
    elif disposition is not None:
        query = query.where(CallRow.disposition == disposition)
    if call_class is not None:
        query = query.where(CallRow.call_class == call_class)
    if start is not None:
        query = query.where(CallRow.start >= start)
    if end is not None:
        query = query.where(CallRow.start < end)
    return query


async def calls(
    session: AsyncSession,
    *,
    filter: Filter,
    disposition: str | None = None,
    call_class: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int,
    before: tuple[datetime, str] | None = None,
) -> list[CallRecord]:
    """Calls by seizure, newest first (ties by call id, descending). `disposition` "open" = not
    ended yet; `call_class` = outbound calls of that calling class; `start`/`end` bound the
    seizure; `before` = (start, call_id) of the last row of the previous page (keyset paging)."""
    if filter.empty:
        return []
    query = _calls_query(filter, disposition=disposition, call_class=call_class, start=start, end=end)
    if before is not None:
        at, call_id = before
        query = query.where(or_(CallRow.start < at, and_(CallRow.start == at, CallRow.call_id < call_id)))
    query = query.order_by(CallRow.start.desc(), CallRow.call_id.desc()).limit(limit)
    return [_record(row) for row in (await session.execute(query)).all()]


async def call(session: AsyncSession, call_id: str) -> CallRecord | None:
    query = select(call_table).where(CallRow.call_id == call_id, CallRow.seen != 0)
    row = (await session.execute(query)).first()
    return None if row is None else _record(row)


async def calls_since(session: AsyncSession, *, since: datetime) -> list[CallRecord]:
    """Calls seized or ended at or after `since`, and every call still open (the live view's
    backfill: a call seized before the window that ended inside it still counts its end there),
    oldest seizure first."""
    query = (
        select(call_table)
        .where(CallRow.seen != 0)
        .where(or_(CallRow.start >= since, CallRow.end >= since, CallRow.disposition.is_(None)))
        .order_by(CallRow.start, CallRow.call_id)
    )
    return [_record(row) for row in (await session.execute(query)).all()]


def _record(row: Row[Any]) -> CallRecord:
    return row_record(cast(Mapping[str, Any], row._mapping))
