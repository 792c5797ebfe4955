"""What each line has used, for the minute caps: ended outbound calls from traffic, counted per
line per day and per month.

Traffic publishes, after each committed batch, `traffic.delta` `{"calls": [CallSummary…]}`; a
call appears in several (routed, answered, ended) and only the ended one (`end` and
`disposition` set) counts. A summary counts when its `number` (an outbound call's calling line)
is a line the decider knows, or when its `customer_id` is one of ours and it has a
`call_class` (a line deleted since); an inbound toll-free call (no class, not a line) does not.
Each counted call is one `outbound_usage` row keyed by the call id — `INSERT … ON CONFLICT DO
NOTHING` on SQLite and PostgreSQL alike, so a repeated delta or a second outbound process
(split mode: each follows `traffic.delta` itself) records it once — with `minutes =
ceil(billable / 60)` (a 150-second call is 3 minutes; an unanswered one 0).

The decider answers from memory (`Meter`): per line the minutes of its current day and month,
read from the table at every reload (so processes that each inserted some of the rows
converge) and raised by the rows this process inserts. Day and month are those of the time zone
of the hours of the policy the line dials under (its own, its group's or the default; never the
elevated one), UTC when that policy has no hours; a question on a later day than the counters
answers 0 for the day (and for the month once that has turned too), a call ending on a later
day starts the counters over.

Spend is not counted yet: there is no rating (a later issue rates the calls), so spend usage is
0 and spend caps, stored, are reached only when 0. A delta missed while the subscription was
down (or dropped by a full bus queue) is not counted: traffic's tables are not ours to read back.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from resources.outbound.models import UsageRow
from resources.outbound.policy import Policy, Usage

TRAFFIC_DELTA = "traffic.delta"
MAX_CALL_ID = 256
MAX_CLASS = 32  # traffic keeps a call class in 32 characters
MAX_CODE = 16
CHUNK = 400  # rows (or lines) per statement: well inside both databases' parameter limits


@dataclass(frozen=True)
class EndedCall:
    """One ended call of a `traffic.delta` payload, as far as usage cares."""

    call_id: str
    number: str  # the calling line
    customer_id: str | None
    ended_at: datetime
    seconds: int
    call_class: str | None
    account_code: str | None

    @property
    def minutes(self) -> int:
        return math.ceil(self.seconds / 60)


def _text(value: Any, limit: int) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def ended_calls(payload: Mapping[str, Any]) -> list[EndedCall]:
    """The ended calls of a `traffic.delta` payload; calls still up and malformed items are
    skipped. `call_class` and `account_code` are optional (older payloads lack them)."""
    calls = payload.get("calls")
    out: list[EndedCall] = []
    for raw in calls if isinstance(calls, list) else ():
        if not isinstance(raw, dict):
            continue
        call_id, number = _text(raw.get("call_id"), MAX_CALL_ID), _text(raw.get("number"), 16)
        end, disposition, billable = raw.get("end"), raw.get("disposition"), raw.get("billable")
        if call_id is None or number is None or not isinstance(disposition, str) or not disposition:
            continue
        if isinstance(end, bool) or not isinstance(end, int | float) or not math.isfinite(end) or end < 0:
            continue
        seconds = billable if isinstance(billable, int) and not isinstance(billable, bool) else 0
        out.append(
            EndedCall(
                call_id=call_id,
                number=number,
                customer_id=_text(raw.get("customer_id"), 64),
                ended_at=datetime.fromtimestamp(end, UTC),
                seconds=max(seconds, 0),
                call_class=_text(raw.get("call_class"), MAX_CLASS),
                account_code=_text(raw.get("account_code"), MAX_CODE),
            )
        )
    return out


async def insert_new(session: AsyncSession, rows: Iterable[tuple[EndedCall, str]]) -> list[EndedCall]:
    """Insert (call, customer id) rows whose call id is not stored yet; the calls inserted."""
    rows = list({call.call_id: (call, customer) for call, customer in rows}.values())
    by_id = {call.call_id: call for call, _ in rows}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted: list[EndedCall] = []
    for start in range(0, len(rows), CHUNK):
        values = [
            {
                "call_id": call.call_id,
                "customer_id": customer,
                "line_number": call.number,
                "ended_at": call.ended_at,
                "seconds": call.seconds,
                "minutes": call.minutes,
                "call_class": call.call_class,
                "account_code": call.account_code,
            }
            for call, customer in rows[start : start + CHUNK]
        ]
        stmt = (
            dialect.insert(UsageRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=["call_id"])
            .returning(UsageRow.call_id)
        )
        inserted += [by_id[call_id] for call_id in (await session.execute(stmt)).scalars()]
    return sorted(inserted, key=lambda c: c.call_id)


def zone_of(policy: Policy) -> str:
    """The zone a line's day and month are counted in: its policy's hours', else UTC."""
    return policy.hours.zone if policy.hours is not None else "UTC"


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def _start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@dataclass
class Tally:
    """One line's minutes on `day` and in `day`'s month (its zone's calendar)."""

    zone: str
    day: date
    today: int = 0
    month: int = 0

    def usage(self, at: datetime) -> Usage:
        day = local_day(at, self.zone)
        same_month = (day.year, day.month) == (self.day.year, self.day.month)
        return Usage(
            minutes_today=self.today if day == self.day else 0,
            minutes_month=self.month if same_month else 0,
        )

    def add(self, ended_at: datetime, minutes: int) -> None:
        day = local_day(ended_at, self.zone)
        if day > self.day:  # a new day (and perhaps month) began: start over
            if (day.year, day.month) != (self.day.year, self.day.month):
                self.month = 0
            self.day, self.today = day, 0
        if day == self.day:
            self.today += minutes
        if (day.year, day.month) == (self.day.year, self.day.month):
            self.month += minutes


async def read_tallies(session: AsyncSession, zones: Mapping[str, str], *, now: datetime) -> dict[str, Tally]:
    """Each line's (`zones`: line → zone) minutes today and this month at `now`, from the table."""
    by_zone: dict[str, list[str]] = {}
    for line, zone in zones.items():
        by_zone.setdefault(zone, []).append(line)
    out: dict[str, Tally] = {}
    for zone, lines in sorted(by_zone.items()):
        today = local_day(now, zone)
        day_start, month_start = _start(today, zone), _start(today.replace(day=1), zone)
        for line in lines:
            out[line] = Tally(zone=zone, day=today)
        lines = sorted(lines)
        for start in range(0, len(lines), CHUNK):
            query = (
                select(
                    UsageRow.line_number,
                    func.sum(UsageRow.minutes),
                    func.sum(case((UsageRow.ended_at >= day_start, UsageRow.minutes), else_=0)),
                )
                .where(UsageRow.line_number.in_(lines[start : start + CHUNK]))
                .where(UsageRow.ended_at >= month_start)
                .group_by(UsageRow.line_number)
            )
            for line, month, day in (await session.execute(query)).all():
                out[line].month, out[line].today = int(month or 0), int(day or 0)
    return out


class Meter:
    """Every known line's tally, in memory (the decider's)."""

    def __init__(self) -> None:
        self.tallies: dict[str, Tally] = {}

    def load(self, tallies: Mapping[str, Tally], *, lines: Iterable[str]) -> None:
        """Take freshly read tallies; forget lines no longer known."""
        known = set(lines)
        merged = {**self.tallies, **tallies}
        self.tallies = {n: t for n, t in merged.items() if n in known}

    def add(self, call: EndedCall) -> None:
        tally = self.tallies.get(call.number)
        if tally is not None:
            tally.add(call.ended_at, call.minutes)

    def usage(self, line: str, at: datetime) -> Usage:
        tally = self.tallies.get(line)
        return tally.usage(at) if tally is not None else Usage()
