"""The write side of traffic: one batch of call events → call rows + 5-minute bucket increments,
in the caller's transaction (docs/traffic-contracts.md "Tables", "Counting rules").

`apply_batch` does a fixed number of statements per batch, never one per event:

1. PostgreSQL only: insert-if-absent a placeholder row (`seen = 0`) for every call id of the
   batch, in call-id order, so a concurrent writer of the same new call waits on our row instead
   of inserting its own; then `SELECT … FOR UPDATE` every row (chunks of ≤ 500 ids, call-id
   order — a fixed lock order, so two writers cannot deadlock). A placeholder reads as "no call
   yet". SQLite writers hold the database lock (`unit_of_work(write=True)` = BEGIN IMMEDIATE).
2. merge every event in order (calls.merge: duplicates change nothing);
3. one executemany INSERT of the new calls and one executemany UPDATE per set of changed
   columns of the changed ones (leftover placeholders deleted);
4. one executemany upsert of the bucket increments, `f = f + excluded.f`, in key order.

Times are epoch seconds (float) in the types and UTC datetimes in the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Select, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from resources.traffic.buckets import bucket_increments
from resources.traffic.calls import close_stale, merge
from resources.traffic.model import FIELDS, CallEvent, CallRecord, Contribution, Key, NumberInfo, SiteInfo
from resources.traffic.models import LineRow, NumberRow, SiteRow, bucket_table, call_table
from resources.traffic.numbers import NumberDirectory

CHUNK = 500  # call ids per SELECT … IN (…)
Outcome = Literal["accepted", "duplicate", "unknown"]
_PK = "b_call_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    accepted: int
    duplicates: int
    contributions: list[Contribution]
    calls: list[CallRecord]  # every call the batch changed, its state after the batch
    outcomes: list[Outcome]  # per event, in order ("unknown": number unknown and call new)


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def record_row(record: CallRecord) -> dict[str, Any]:
    """A CallRecord as a `traffic_calls` row (column name → value)."""
    return {
        "call_id": record.call_id,
        "customer_id": record.customer_id,
        "resellers": list(record.resellers),
        "number": record.number,
        "ani": record.ani,
        "site": record.site,
        "destination": record.destination,
        "uri": record.uri,
        "carrier": record.carrier,
        "version": record.version,
        "path": list(record.path),
        "start": _dt(record.start),
        "answer": _dt(record.answer),
        "end": _dt(record.end),
        "duration": record.duration,
        "billable": record.billable,
        "sip_code": record.sip_code,
        "q850": record.q850,
        "disposition": record.disposition,
        "block": record.block,
        "account_code": record.account_code,
        "origin_state": record.origin_state,
        "origin_lata": record.origin_lata,
        "reason": record.reason,
        "call_class": record.call_class,
        "element": record.element,
        "seen": record.seen,
        "counted": record.counted,
        "key_site": record.key.site,
        "key_carrier": record.key.carrier,
        "received_at": _dt(record.received_at),
        "updated_at": _dt(record.updated_at),
    }


def row_record(row: Mapping[Any, Any]) -> CallRecord:
    """A `traffic_calls` row (mapping) as a CallRecord; the web side's reads use it too."""
    return CallRecord(
        call_id=row["call_id"],
        customer_id=row["customer_id"],
        resellers=tuple(row["resellers"] or ()),
        number=row["number"],
        ani=row["ani"],
        site=row["site"],
        destination=row["destination"],
        uri=row["uri"],
        carrier=row["carrier"],
        version=row["version"],
        path=tuple(row["path"] or ()),
        start=_ts(row["start"]),
        answer=_ts(row["answer"]),
        end=_ts(row["end"]),
        duration=row["duration"],
        billable=row["billable"],
        sip_code=row["sip_code"],
        q850=row["q850"],
        disposition=row["disposition"],
        block=row["block"],
        account_code=row["account_code"],
        origin_state=row["origin_state"],
        origin_lata=row["origin_lata"],
        reason=row["reason"],
        call_class=row["call_class"],
        element=row["element"],
        seen=row["seen"],
        counted=row["counted"],
        received_at=_ts(row["received_at"]) or 0.0,
        updated_at=_ts(row["updated_at"]) or 0.0,
        key=Key(row["customer_id"], row["number"], row["key_site"], row["key_carrier"]),
    )


def _placeholder(call_id: str, at: datetime) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "customer_id": "",
        "resellers": [],
        "number": "",
        "path": [],
        "element": "",
        "seen": 0,
        "counted": 0,
        "key_site": "",
        "key_carrier": "",
        "received_at": at,
        "updated_at": at,
    }


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _upsert(session: AsyncSession) -> Any:
    """The dialect's INSERT into traffic_buckets (both have `on_conflict_do_update`)."""
    if _dialect(session) == "postgresql":
        return postgresql.insert(bucket_table)
    return sqlite.insert(bucket_table)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def _load(session: AsyncSession, ids: Sequence[str], *, lock: bool) -> dict[str, Mapping[str, Any]]:
    rows: dict[str, Mapping[str, Any]] = {}
    for chunk in _chunks(ids):
        stmt: Select[Any] = (
            select(call_table).where(call_table.c.call_id.in_(chunk)).order_by(call_table.c.call_id)
        )
        if lock:
            stmt = stmt.with_for_update()
        for row in (await session.execute(stmt)).mappings():
            rows[row["call_id"]] = row
    return rows


async def _write_calls(
    session: AsyncSession,
    inserts: list[CallRecord],
    updates: list[tuple[CallRecord, Mapping[Any, Any]]],
) -> None:
    """One executemany INSERT of `inserts`; the `updates` (record, row before) as one executemany
    UPDATE per set of changed columns (an `ended` report touches the same few columns of every
    call it ends: less to bind, and indexes on unchanged columns are left alone)."""
    if inserts:
        await session.execute(call_table.insert(), [record_row(r) for r in inserts])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record, before in updates:
        row = record_row(record)
        changed = tuple(k for k, v in row.items() if k != "call_id" and before[k] != v)
        if changed:
            params = {k: row[k] for k in changed}
            params[_PK] = record.call_id
            groups.setdefault(changed, []).append(params)
    stmt = update(call_table).where(call_table.c.call_id == bindparam(_PK))
    for params_list in groups.values():
        await session.execute(stmt, params_list)


async def _upsert_buckets(session: AsyncSession, contributions: Iterable[Contribution], seconds: int) -> None:
    increments = bucket_increments(list(contributions), bucket_seconds=seconds)
    rows: list[dict[str, Any]] = []
    for (start, key), vector in sorted(increments.items()):
        if not any(vector):
            continue
        row: dict[str, Any] = {
            "start": datetime.fromtimestamp(start, UTC),
            "customer_id": key.customer_id,
            "number": key.number,
            "site": key.site,
            "carrier": key.carrier,
            "peak_concurrent": 0,
        }
        row.update(zip(FIELDS, vector, strict=True))
        rows.append(row)
    if not rows:
        return
    stmt = _upsert(session)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in bucket_table.primary_key.columns],
        set_={name: bucket_table.c[name] + stmt.excluded[name] for name in FIELDS},
    )
    await session.execute(stmt, rows)


async def apply_batch(
    session: AsyncSession,
    events: Sequence[CallEvent],
    numbers: NumberDirectory,
    *,
    now: float,
    bucket_seconds: int = 300,
) -> BatchResult:
    """Merge `events` (in order) into their calls and the buckets, in `session`'s transaction.
    An event whose number is unknown to `numbers` still updates a call already known (its key
    is fixed); for a new call it is skipped (`outcomes[i] == "unknown"`)."""
    ids = sorted({e.call_id for e in events})
    postgres = _dialect(session) == "postgresql"
    if postgres and ids:
        at = datetime.fromtimestamp(now, UTC)
        stmt = postgresql.insert(call_table).on_conflict_do_nothing(index_elements=["call_id"])
        await session.execute(stmt, [_placeholder(i, at) for i in ids])
    rows = await _load(session, ids, lock=postgres)
    state: dict[str, CallRecord | None] = {
        i: (row_record(rows[i]) if i in rows and rows[i]["seen"] else None) for i in ids
    }
    changed: dict[str, CallRecord] = {}
    contributions: list[Contribution] = []
    outcomes: list[Outcome] = []
    accepted = duplicates = 0
    for event in events:
        record = state[event.call_id]
        info = numbers.get(event.number)
        if info is None:
            if record is None:
                outcomes.append("unknown")
                continue
            info = NumberInfo(
                number=record.number, customer_id=record.customer_id, resellers=record.resellers
            )
        merged, contributed, duplicate = merge(record, event, info, now=now)
        if duplicate:
            duplicates += 1
            outcomes.append("duplicate")
            continue
        accepted += 1
        outcomes.append("accepted")
        contributions.extend(contributed)
        state[event.call_id] = merged
        changed[event.call_id] = merged
    inserts = [r for i, r in changed.items() if i not in rows]
    updates = [(r, rows[i]) for i, r in changed.items() if i in rows]
    await _write_calls(session, inserts, updates)
    leftovers = [i for i in ids if i in rows and not rows[i]["seen"] and i not in changed]
    if leftovers:
        await session.execute(
            delete(call_table).where(call_table.c.call_id.in_(leftovers), call_table.c.seen == 0)
        )
    await _upsert_buckets(session, contributions, bucket_seconds)
    return BatchResult(
        accepted=accepted,
        duplicates=duplicates,
        contributions=contributions,
        calls=list(changed.values()),
        outcomes=outcomes,
    )


async def stale_calls(session: AsyncSession, *, before: float, limit: int = 1000) -> list[CallRecord]:
    """Open calls (no disposition) seized before `before` (epoch s; a call without a seizure
    by its answer, else its first report), oldest first. PostgreSQL
    locks them (`FOR UPDATE SKIP LOCKED`: a concurrent sweeper takes the others)."""
    at = datetime.fromtimestamp(before, UTC)
    c = call_table.c
    stmt: Select[Any] = (
        select(call_table)
        .where(
            c.disposition.is_(None),
            c.seen != 0,
            or_(c.start < at, and_(c.start.is_(None), func.coalesce(c.answer, c.received_at) < at)),
        )
        .order_by(c.start, c.call_id)
        .limit(limit)
    )
    if _dialect(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [row_record(row) for row in (await session.execute(stmt)).mappings()]


async def close_stale_calls(
    session: AsyncSession, *, now: float, max_call_seconds: int, bucket_seconds: int = 300, limit: int = 1000
) -> BatchResult:
    """Close (calls.close_stale) up to `limit` calls open longer than `max_call_seconds`."""
    contributions: list[Contribution] = []
    closed: list[CallRecord] = []
    befores: list[dict[str, Any]] = []
    for record in await stale_calls(session, before=now - max_call_seconds, limit=limit):
        done, contributed = close_stale(record, now=now, max_call_seconds=max_call_seconds)
        if done is record:
            continue
        closed.append(done)
        befores.append(record_row(record))
        contributions.extend(contributed)
    await _write_calls(session, [], list(zip(closed, befores, strict=True)))
    await _upsert_buckets(session, contributions, bucket_seconds)
    return BatchResult(
        accepted=len(closed), duplicates=0, contributions=contributions, calls=closed, outcomes=[]
    )


async def record_peaks(session: AsyncSession, peaks: Mapping[tuple[int, Key], int]) -> None:
    """Raise `peak_concurrent` of each (bucket start epoch, Key) to at least the given value."""
    rows: list[dict[str, Any]] = []
    for (start, key), peak in sorted(peaks.items()):
        row: dict[str, Any] = dict.fromkeys(FIELDS, 0)
        row.update(
            start=datetime.fromtimestamp(start, UTC),
            customer_id=key.customer_id,
            number=key.number,
            site=key.site,
            carrier=key.carrier,
            peak_concurrent=peak,
        )
        rows.append(row)
    if not rows:
        return
    postgres = _dialect(session) == "postgresql"
    stmt = _upsert(session)
    current, new = bucket_table.c.peak_concurrent, stmt.excluded.peak_concurrent
    higher = func.greatest(current, new) if postgres else func.max(current, new)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in bucket_table.primary_key.columns], set_={"peak_concurrent": higher}
    )
    await session.execute(stmt, rows)


async def save_numbers(
    session: AsyncSession, numbers: Sequence[NumberInfo], sites: Sequence[SiteInfo]
) -> None:
    """Replace the persisted picture of numbers and sites with this one."""
    await session.execute(delete(NumberRow))
    await session.execute(delete(SiteRow))
    if numbers:
        await session.execute(
            insert(NumberRow),
            [
                {"number": n.number, "customer_id": n.customer_id, "resellers": list(n.resellers)}
                for n in numbers
            ],
        )
    if sites:
        await session.execute(
            insert(SiteRow),
            [{"customer_id": s.customer_id, "name": s.name, "uri": s.uri} for s in sites],
        )


async def load_numbers(session: AsyncSession) -> tuple[list[NumberInfo], list[SiteInfo]]:
    numbers = [
        NumberInfo(number=r.number, customer_id=r.customer_id, resellers=tuple(r.resellers or ()))
        for r in (await session.execute(select(NumberRow).order_by(NumberRow.number))).scalars()
    ]
    sites = [
        SiteInfo(customer_id=r.customer_id, name=r.name, uri=r.uri)
        for r in (
            await session.execute(select(SiteRow).order_by(SiteRow.customer_id, SiteRow.name))
        ).scalars()
    ]
    return numbers, sites


async def save_lines(session: AsyncSession, lines: Sequence[NumberInfo]) -> None:
    """Replace the persisted outbound lines with these."""
    await session.execute(delete(LineRow))
    if lines:
        await session.execute(
            insert(LineRow),
            [
                {"number": n.number, "customer_id": n.customer_id, "resellers": list(n.resellers)}
                for n in lines
            ],
        )


async def load_lines(session: AsyncSession) -> list[NumberInfo]:
    return [
        NumberInfo(number=r.number, customer_id=r.customer_id, resellers=tuple(r.resellers or ()))
        for r in (await session.execute(select(LineRow).order_by(LineRow.number))).scalars()
    ]
