"""Hours of operation: weekly intervals in the site's zone, past midnight, DST, closures, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from resources.kit.hours import (
    Closure,
    HoursError,
    Interval,
    always_open,
    closed_rest_of_day,
    parse_hours,
)

EAST = {
    "zone": "America/New_York",
    "weekly": {d: ["08:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    | {"sat": ["09:00-12:00", "13:00-15:00"]},
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-12-07T12:59", False),  # Monday 07:59 EST
        ("2026-12-07T13:00", True),  # 08:00 EST: opens
        ("2026-12-07T21:59", True),
        ("2026-12-07T22:00", False),  # 17:00: the end is excluded
        ("2026-12-12T16:30", True),  # Saturday 11:30
        ("2026-12-12T17:30", False),  # Saturday 12:30: the lunch gap
        ("2026-12-12T18:00", True),  # Saturday 13:00
        ("2026-12-13T15:00", False),  # Sunday: not listed, closed
    ],
)
def test_weekly_hours_are_read_in_the_site_zone(instant: str, expected: bool) -> None:
    assert parse_hours(EAST).is_open(at(instant)) is expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-12-11T21:59", False),  # Friday 21:59 UTC (the zone is UTC)
        ("2026-12-11T22:00", True),
        ("2026-12-12T05:59", True),  # Saturday morning, still Friday's shift
        ("2026-12-12T06:00", False),
        ("2026-12-14T05:00", False),  # Monday morning: Sunday has no night shift
    ],
)
def test_an_interval_past_midnight_ends_the_next_morning(instant: str, expected: bool) -> None:
    hours = parse_hours({"zone": "UTC", "weekly": {"fri": ["22:00-06:00"]}})
    assert hours.is_open(at(instant)) is expected


def test_opening_time_is_wall_clock_on_both_sides_of_a_dst_change() -> None:
    hours = parse_hours(EAST)
    # 2027-03-14 the US springs forward: 08:00 is 13:00 UTC before and 12:00 UTC after
    assert [hours.is_open(at(t)) for t in ("2027-03-12T12:30", "2027-03-12T13:00")] == [False, True]
    assert [hours.is_open(at(t)) for t in ("2027-03-15T11:59", "2027-03-15T12:00")] == [False, True]


def test_a_whole_day_and_the_day_after_an_overnight_shift() -> None:
    hours = parse_hours({"zone": "Europe/Berlin", "weekly": {"sat": ["00:00-24:00"], "sun": ["20:00-02:00"]}})
    assert hours.is_open(at("2026-12-12T22:59")) is True  # Saturday 23:59 CET
    assert hours.is_open(at("2026-12-12T23:00")) is False  # Sunday 00:00
    assert hours.is_open(at("2026-12-14T00:30")) is True  # Monday 01:30, Sunday's shift
    assert hours.is_open(at("2026-12-14T01:00")) is False  # Monday 02:00


def test_a_closure_overrides_the_weekly_hours() -> None:
    raw = EAST | {"closures": [{"from": "2026-12-25T00:00", "to": "2026-12-26T00:00", "reason": "Christmas"}]}
    hours = parse_hours(raw)
    assert hours.is_open(at("2026-12-25T15:00")) is False  # Friday 10:00, Christmas
    assert hours.is_open(at("2026-12-18T15:00")) is True  # the Friday before
    assert hours.closures == (
        Closure(start=datetime(2026, 12, 25), end=datetime(2026, 12, 26), reason="Christmas"),
    )


def test_closing_early_today_lasts_until_local_midnight() -> None:
    hours = closed_rest_of_day(parse_hours(EAST), at=at("2026-12-07T18:30:45"), reason="storm")
    assert hours.closures == (
        Closure(start=datetime(2026, 12, 7, 13, 30), end=datetime(2026, 12, 8), reason="storm"),
    )
    assert hours.is_open(at("2026-12-07T18:29")) is True
    assert hours.is_open(at("2026-12-07T18:30")) is False
    assert hours.is_open(at("2026-12-08T13:00")) is True  # Tuesday 08:00 as usual


def test_as_json_parses_back_to_the_same_hours() -> None:
    raw = EAST | {"closures": [{"from": "2026-12-31T12:00", "to": "2027-01-02T00:00", "reason": "New Year"}]}
    hours = parse_hours(raw)
    assert hours.as_json() == {
        "zone": "America/New_York",
        "weekly": {
            "mon": ["08:00-17:00"],
            "tue": ["08:00-17:00"],
            "wed": ["08:00-17:00"],
            "thu": ["08:00-17:00"],
            "fri": ["08:00-17:00"],
            "sat": ["09:00-12:00", "13:00-15:00"],
            "sun": [],
        },
        "closures": [{"from": "2026-12-31T12:00", "to": "2027-01-02T00:00", "reason": "New Year"}],
    }
    assert parse_hours(hours.as_json()) == hours


def test_always_open() -> None:
    hours = always_open()
    assert hours.weekly == tuple((Interval(0, 1440),) for _ in range(7))
    assert hours.is_open(at("2026-12-13T23:59")) is True


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        always_open().is_open(datetime(2026, 12, 7, 12))


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ([], "hours", "must be an object with zone, weekly and closures"),
        ({"zone": "UTC", "weekly": {}, "extra": 1}, "hours", "unknown field 'extra'"),
        (
            {"zone": "Mars/Olympus", "weekly": {}},
            "hours.zone",
            "'Mars/Olympus' is not a known IANA time zone",
        ),
        ({"weekly": {}}, "hours.zone", "must be an IANA time zone such as America/New_York"),
        ({"zone": "UTC", "weekly": []}, "hours.weekly", "must be an object keyed by mon … sun"),
        (
            {"zone": "UTC", "weekly": {"monday": []}},
            "hours.weekly",
            "'monday' is not a weekday (use mon, tue, wed, thu, fri, sat, sun)",
        ),
        (
            {"zone": "UTC", "weekly": {"mon": "08:00-17:00"}},
            "hours.weekly.mon",
            'must be a list of "HH:MM-HH:MM" intervals',
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["8-17"]}},
            "hours.weekly.mon[0]",
            '\'8-17\' is not "HH:MM-HH:MM" (24-hour clock, e.g. "08:00-17:30")',
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["24:00-08:00"]}},
            "hours.weekly.mon[0]",
            "'24:00-08:00': a day's hours start before 24:00",
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["08:00-24:30"]}},
            "hours.weekly.mon[0]",
            "'08:00-24:30': 24:00 is the latest end",
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["09:00-09:00"]}},
            "hours.weekly.mon[0]",
            "'09:00-09:00' is empty (start and end are the same time)",
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["08:00-12:00", "11:00-15:00"]}},
            "hours.weekly.mon",
            "08:00-12:00 and 11:00-15:00 overlap",
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["20:00-02:00", "23:00-01:00"]}},
            "hours.weekly.mon",
            "only one interval a day may run past midnight",
        ),
        (
            {"zone": "UTC", "weekly": {"mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}},
            "hours.weekly.tue",
            "05:00-09:00 overlaps mon's hours running past midnight to 06:00",
        ),
        (
            {"zone": "UTC", "weekly": {}, "closures": [{"from": "2026-12-25", "to": "2026-12-26T00:00"}]},
            "hours.closures[0].from",
            "'2026-12-25' is not a local date and time YYYY-MM-DDTHH:MM",
        ),
        (
            {
                "zone": "UTC",
                "weekly": {},
                "closures": [{"from": "2026-02-30T00:00", "to": "2026-03-01T00:00"}],
            },
            "hours.closures[0].from",
            "'2026-02-30T00:00' is not a real date and time",
        ),
        (
            {
                "zone": "UTC",
                "weekly": {},
                "closures": [{"from": "2026-12-26T00:00", "to": "2026-12-25T00:00"}],
            },
            "hours.closures[0]",
            "ends (2026-12-25T00:00) before it starts (2026-12-26T00:00)",
        ),
        (
            {
                "zone": "UTC",
                "weekly": {},
                "closures": [{"from": "2026-12-25T00:00", "to": "2026-12-26T00:00", "why": "x"}],
            },
            "hours.closures[0]",
            "unknown field 'why'",
        ),
    ],
)
def test_bad_hours_name_the_field_and_the_problem(raw: Any, field: str, message: str) -> None:
    with pytest.raises(HoursError) as caught:
        parse_hours(raw)
    assert (caught.value.field, caught.value.message) == (field, message)
