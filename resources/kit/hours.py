"""Weekly hours in a local time zone: when a call-center site takes calls (and, with the same
rules, when an outbound policy lets a user dial).

A site has weekly hours (per weekday, intervals of local wall-clock time; `22:00-06:00` runs
past midnight into the next day, `00:00-24:00` is the whole day) and closures: local date-time
ranges in which it is closed whatever the weekly hours say (a holiday, "east closes early
today"). Local times are read in the site's IANA zone, so a site that opens at 08:00 opens at
08:00 on both sides of a daylight-saving change; a wall-clock time that a change skips never
happens, and one it repeats counts once in each offset.

`parse_hours` turns the JSON the API takes into `Hours` or raises `HoursError` naming the
field and what is wrong with it; `Hours.is_open(at)` answers for a UTC instant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resources.kit.errors import FieldError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DAY_MINUTES = 24 * 60
MAX_INTERVALS_PER_DAY = 8
MAX_CLOSURES = 400
_INTERVAL = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")


class HoursError(FieldError):
    """Hours that cannot be used; `field` names the part of the input (e.g. `hours.weekly.mon[1]`)."""


@dataclass(frozen=True, order=True)
class Interval:
    """Minutes after local midnight; `end` ≤ `start` runs past midnight (`end` on the next day)."""

    start: int
    end: int

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def today(self) -> tuple[int, int]:
        """The part on its own day: [start, end) or, overnight, [start, 24:00)."""
        return (self.start, DAY_MINUTES if self.overnight else self.end)

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class Closure:
    """Closed from `start` to `end` (local wall-clock, end excluded); `reason` is for people."""

    start: datetime  # naive, local
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class Hours:
    zone: str
    weekly: tuple[tuple[Interval, ...], ...]  # 7 entries, Monday first
    closures: tuple[Closure, ...] = ()

    def is_open(self, at: datetime) -> bool:
        """Whether the site takes calls at `at` (an aware instant)."""
        if at.tzinfo is None:
            raise ValueError("naive datetime given; use an aware (UTC) instant")
        local = at.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)
        if any(c.start <= local < c.end for c in self.closures):
            return False
        minute = local.hour * 60 + local.minute
        for interval in self.weekly[local.weekday()]:
            start, end = interval.today()
            if start <= minute < end:
                return True
        yesterday = self.weekly[(local.weekday() - 1) % 7]
        return any(i.overnight and minute < i.end for i in yesterday)

    def as_json(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "weekly": {day: [str(i) for i in self.weekly[n]] for n, day in enumerate(WEEKDAYS)},
            "closures": [
                {"from": _local_text(c.start), "to": _local_text(c.end), "reason": c.reason}
                for c in self.closures
            ],
        }


def always_open(zone: str = "UTC") -> Hours:
    return Hours(zone=zone, weekly=tuple((Interval(0, DAY_MINUTES),) for _ in WEEKDAYS))


def parse_hours(raw: Any) -> Hours:
    """`{"zone": "America/New_York", "weekly": {"mon": ["08:00-17:00"], …},
    "closures": [{"from": "2026-12-24T15:00", "to": "2026-12-27T00:00", "reason": "…"}]}`.
    A weekday left out is closed all day; closures are optional."""
    if not isinstance(raw, Mapping):
        raise HoursError("hours", "must be an object with zone, weekly and closures")
    unknown = sorted(set(raw) - {"zone", "weekly", "closures"})
    if unknown:
        raise HoursError("hours", f"unknown field {unknown[0]!r}")
    zone = _zone(raw.get("zone"))
    weekly_raw = raw.get("weekly")
    if not isinstance(weekly_raw, Mapping):
        raise HoursError("hours.weekly", "must be an object keyed by mon … sun")
    bad_days = sorted(set(weekly_raw) - set(WEEKDAYS))
    if bad_days:
        raise HoursError("hours.weekly", f"{bad_days[0]!r} is not a weekday (use {', '.join(WEEKDAYS)})")
    weekly = tuple(_day(f"hours.weekly.{day}", weekly_raw.get(day, [])) for day in WEEKDAYS)
    _no_overnight_overlap(weekly)
    closures = _closures(raw.get("closures", []))
    return Hours(zone=zone, weekly=weekly, closures=closures)


def _zone(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise HoursError("hours.zone", "must be an IANA time zone such as America/New_York")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError("hours.zone", f"{value!r} is not a known IANA time zone") from None
    return value


def _day(field: str, raw: Any) -> tuple[Interval, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise HoursError(field, 'must be a list of "HH:MM-HH:MM" intervals')
    if len(raw) > MAX_INTERVALS_PER_DAY:
        raise HoursError(field, f"at most {MAX_INTERVALS_PER_DAY} intervals a day")
    intervals = sorted(_interval(f"{field}[{n}]", text) for n, text in enumerate(raw))
    overnight = [i for i in intervals if i.overnight]
    if len(overnight) > 1:
        raise HoursError(field, "only one interval a day may run past midnight")
    for a, b in pairwise(intervals):
        if b.today()[0] < a.today()[1]:
            raise HoursError(field, f"{a} and {b} overlap")
    return tuple(intervals)


def _interval(field: str, text: Any) -> Interval:
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if match is None:
        raise HoursError(field, f'{text!r} is not "HH:MM-HH:MM" (24-hour clock, e.g. "08:00-17:30")')
    sh, sm, eh, em = (int(g) for g in match.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    if start >= DAY_MINUTES:
        raise HoursError(field, f"{text!r}: a day's hours start before 24:00")
    if end > DAY_MINUTES:
        raise HoursError(field, f"{text!r}: 24:00 is the latest end")
    if start == end:
        raise HoursError(field, f"{text!r} is empty (start and end are the same time)")
    return Interval(start, end)


def _no_overnight_overlap(weekly: tuple[tuple[Interval, ...], ...]) -> None:
    """An interval past midnight must end before the next day's first interval starts."""
    for n, day in enumerate(weekly):
        spill = max((i.end for i in day if i.overnight), default=0)
        following = weekly[(n + 1) % 7]
        if spill and following and following[0].today()[0] < spill:
            raise HoursError(
                f"hours.weekly.{WEEKDAYS[(n + 1) % 7]}",
                f"{following[0]} overlaps {WEEKDAYS[n]}'s hours running past midnight to {_hhmm(spill)}",
            )


def _closures(raw: Any) -> tuple[Closure, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise HoursError("hours.closures", "must be a list of {from, to, reason}")
    if len(raw) > MAX_CLOSURES:
        raise HoursError("hours.closures", f"at most {MAX_CLOSURES} closures")
    out = []
    for n, item in enumerate(raw):
        field = f"hours.closures[{n}]"
        if not isinstance(item, Mapping):
            raise HoursError(field, "must be an object with from, to and an optional reason")
        unknown = sorted(set(item) - {"from", "to", "reason"})
        if unknown:
            raise HoursError(field, f"unknown field {unknown[0]!r}")
        start = _local(f"{field}.from", item.get("from"))
        end = _local(f"{field}.to", item.get("to"))
        if end <= start:
            raise HoursError(field, f"ends ({_local_text(end)}) before it starts ({_local_text(start)})")
        reason = item.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 200:
            raise HoursError(f"{field}.reason", "must be text of at most 200 characters")
        out.append(Closure(start=start, end=end, reason=reason.strip()))
    return tuple(sorted(out, key=lambda c: (c.start, c.end)))


def _local(field: str, value: Any) -> datetime:
    if not isinstance(value, str) or not _LOCAL.match(value):
        raise HoursError(field, f"{value!r} is not a local date and time YYYY-MM-DDTHH:MM")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise HoursError(field, f"{value!r} is not a real date and time") from None


def closed_rest_of_day(hours: Hours, *, at: datetime, reason: str) -> Hours:
    """`hours` plus a closure from `at` (local minute) to the next local midnight: "closes now
    for today"."""
    local = at.astimezone(ZoneInfo(hours.zone)).replace(tzinfo=None, second=0, microsecond=0)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
    closure = Closure(start=local, end=midnight, reason=reason)
    return Hours(
        zone=hours.zone,
        weekly=hours.weekly,
        closures=tuple(sorted([*hours.closures, closure], key=lambda c: (c.start, c.end))),
    )


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _local_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")
