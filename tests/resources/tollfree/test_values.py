"""Match values of every decision type: the keys they match and the message when malformed."""

from __future__ import annotations

import pytest
from engine_builders import LABELS

from resources.tollfree.values import BadValue, Expanded, day_of_year, expand, parse_value


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("08:00-17:00", set(range(32, 68))),  # 08:00 inclusive … 16:45-17:00 is the last
        ("23:45-24:00", {95}),
        ("00:00-00:15", {0}),
        ("00:00-24:00", set(range(96))),
        ("12:15-12:45", {49, 50}),
    ],
)
def test_tod_ranges_are_quarter_hours_start_inclusive_end_exclusive(value: str, keys: set[int]) -> None:
    assert parse_value("tod", value) == frozenset(keys)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("8:00-17:00", "'8:00-17:00' is not a time range like 08:00-17:00."),
        ("08:10-17:00", "'08:10-17:00': times must be on a quarter hour (:00, :15, :30 or :45)."),
        ("08:00-24:15", "'08:00-24:15': hours run from 00:00 to 24:00."),
        ("24:00-24:00", "'24:00-24:00': hours run from 00:00 to 24:00."),
        ("08:00-25:00", "'08:00-25:00': hours run from 00:00 to 24:00."),
        (
            "22:00-06:00",
            "'22:00-06:00': the start must be before the end; to cross midnight use two ranges "
            "(e.g. 22:00-24:00 and 00:00-06:00).",
        ),
        (
            "09:00-09:00",
            "'09:00-09:00': the start must be before the end; to cross midnight use two ranges "
            "(e.g. 22:00-24:00 and 00:00-06:00).",
        ),
    ],
)
def test_tod_errors(value: str, message: str) -> None:
    with pytest.raises(BadValue) as exc:
        parse_value("tod", value)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("SUN", {1}),
        ("SAT", {7}),
        ("MON-FRI", {2, 3, 4, 5, 6}),
        ("SUN-SAT", set(range(1, 8))),
        ("WED-WED", {4}),
    ],
)
def test_dow(value: str, keys: set[int]) -> None:
    assert parse_value("dow", value) == frozenset(keys)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("SAT-MON", "'SAT-MON' wraps around the week; split it into SAT and SUN-MON."),
        ("FRI-SUN", "'FRI-SUN' wraps around the week; split it into FRI-SAT and SUN."),
        ("FUN", "'FUN' is not a day (SUN … SAT) or a range like MON-FRI."),
        ("mon", "'mon' is not a day (SUN … SAT) or a range like MON-FRI."),
    ],
)
def test_dow_errors(value: str, message: str) -> None:
    with pytest.raises(BadValue) as exc:
        parse_value("dow", value)
    assert str(exc.value) == message


def test_fixed_366_day_calendar() -> None:
    assert [day_of_year(1, 1), day_of_year(2, 28), day_of_year(2, 29), day_of_year(3, 1)] == [1, 59, 60, 61]
    assert day_of_year(12, 31) == 366


@pytest.mark.parametrize(
    ("value", "keys"),
    [
        ("060", {60}),
        ("001-003", {1, 2, 3}),
        ("366", {366}),
        ("02-29", {60}),
        ("03-01", {61}),
        ("12-25", {360}),
        ("2028-02-29", {2028060}),
        ("2027-03-01", {2027061}),
    ],
)
def test_date(value: str, keys: set[int]) -> None:
    assert parse_value("date", value) == frozenset(keys)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("367", "'367': days of the year run from 001 to 366."),
        ("000", "'000': days of the year run from 001 to 366."),
        ("200-100", "'200-100': the first day must not be after the last; split it at 366."),
        ("02-30", "'02-30' is not a calendar day (MM-DD)."),
        ("13-01", "'13-01' is not a calendar day (MM-DD)."),
        ("2027-02-29", "'2027-02-29' is not a real date (YYYY-MM-DD)."),
        ("1999-12-31", "'1999-12-31': the year must be 2000 or later."),
        ("Dec 25", "'Dec 25' is not a day of the year (001-366), a range (001-031), MM-DD or YYYY-MM-DD."),
    ],
)
def test_date_errors(value: str, message: str) -> None:
    with pytest.raises(BadValue) as exc:
        parse_value("date", value)
    assert str(exc.value) == message


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("npa", "312"),
        ("nxx", "555"),
        ("npanxx", "312555"),
        ("ani", "3125550100"),
        ("lata", "358"),
        ("lata", "032"),
        ("state", "IL"),
        ("state", "ON"),
        ("state", "PR"),
        ("switch", "ON"),
        ("switch", "OFF"),
        ("switch", "ON9"),
    ],
)
def test_origin_and_switch_values_are_themselves(kind: str, value: str) -> None:
    assert parse_value(kind, value) == frozenset({value})


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("npa", "31", "'31' is not an area code (3 digits, like 312)."),
        ("npa", "112", "'112' is not an area code: area codes and exchanges never start with 0 or 1."),
        ("nxx", "055", "'055' is not an exchange (NXX): area codes and exchanges never start with 0 or 1."),
        ("npanxx", "312055", "'312055' is not an NPA-NXX: area codes and exchanges never start with 0 or 1."),
        ("ani", "312555010", "'312555010' is not a 10-digit number (10 digits, like 3125550100)."),
        ("ani", "+13125550100", "'+13125550100' is not a 10-digit number (10 digits, like 3125550100)."),
        ("lata", "35a", "'35a' is not a LATA (3 digits, like 358)."),
        ("npa", "\uff13\uff11\uff12", "'\uff13\uff11\uff12' is not an area code (3 digits, like 312)."),
        ("state", "ZZ", "'ZZ' is not a US state or Canadian province code (like IL or ON)."),
        ("state", "il", "'il' is not a US state or Canadian province code (like IL or ON)."),
        ("switch", "ON10", "'ON10' is not a switch position (ON, OFF or ON1 … ON9)."),
        ("pct", "50", "'pct' nodes have no match values."),
    ],
)
def test_value_errors(kind: str, value: str, message: str) -> None:
    with pytest.raises(BadValue) as exc:
        parse_value(kind, value)
    assert str(exc.value) == message


def test_expand_replaces_labels_and_remembers_their_name() -> None:
    assert list(expand("tod", ["@BIZ", "18:00-19:00"], LABELS)) == [
        Expanded(0, "@BIZ", "08:00-12:00", frozenset(range(32, 48))),
        Expanded(0, "@BIZ", "13:00-17:00", frozenset(range(52, 68))),
        Expanded(1, "18:00-19:00", "18:00-19:00", frozenset(range(72, 76))),
    ]
