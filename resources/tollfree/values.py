"""The `match` values of each decision type, parsed into the keys the engine compares.

Every value parses to a frozenset of *keys* in its type's key space, so matching is one set or
dict membership test and overlap between two values is a set intersection:

* ``tod``: quarter-hours of the local day, 0 (00:00-00:15) … 95 (23:45-24:00);
* ``dow``: 1 = SUN … 7 = SAT;
* ``date``: day of year on the fixed 366-day calendar (1 … 366; 60 = Feb 29, 61 = Mar 1 in
  every year) for ``DDD``, ``DDD-DDD`` and ``MM-DD``; ``year * 1000 + day`` for ``YYYY-MM-DD``;
* ``npa``, ``nxx``, ``npanxx``, ``ani``, ``lata``, ``state``, ``switch``: the value itself.

A value may also be ``"@NAME"``, a label of the same kind; `expand` replaces it by the label's
values and remembers the label name (the decision path shows ``@NAME``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

TIME_KINDS = ("date", "dow", "tod")
ORIGIN_KINDS = ("state", "lata", "npa", "nxx", "npanxx", "ani")
LABEL_KINDS = TIME_KINDS + ORIGIN_KINDS
DECISION_TYPES = (*LABEL_KINDS, "pct", "switch")
ACTION_TYPES = ("tel", "carrier", "announce", "goto")

DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
SWITCH_POSITIONS = frozenset({"ON", "OFF", *(f"ON{i}" for i in range(1, 10))})
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
})  # fmt: skip
CA_PROVINCES = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})
STATES = US_STATES | CA_PROVINCES

# first day (on the 366-day calendar) of each month, 1-based months
_MONTH_START = (0, 1, 32, 61, 92, 122, 153, 183, 214, 245, 275, 306, 336)
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

_TOD_RE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
_DOW_RE = re.compile(r"^([A-Z]{3})(?:-([A-Z]{3}))?$")
_DDD_RE = re.compile(r"^(\d{3})(?:-(\d{3}))?$")
_MMDD_RE = re.compile(r"^(\d\d)-(\d\d)$")
_YMD_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)$")
_LABEL_RE = re.compile(r"^[A-Z][A-Z0-9_-]{1,14}$")

Key = int | str


class BadValue(ValueError):
    """A match value that does not parse; `str(exc)` is a sentence for the customer."""


class LabelLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def values(self) -> tuple[str, ...]: ...


def day_of_year(month: int, day: int) -> int:
    """Day number on the fixed 366-day calendar: 01-01 → 1, 02-29 → 60, 03-01 → 61, 12-31 → 366."""
    return _MONTH_START[month] + day - 1


def is_label_ref(value: str) -> bool:
    return value.startswith("@")


def label_name_ok(name: str) -> bool:
    return bool(_LABEL_RE.match(name))


def parse_value(kind: str, value: str) -> frozenset[Key]:
    """The keys `value` matches for a decision of type `kind`; BadValue when malformed."""
    if not isinstance(value, str):
        raise BadValue(f"{value!r} is not text.")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise BadValue(f"{kind!r} nodes have no match values.")
    return parser(value)


def _tod(value: str) -> frozenset[Key]:
    m = _TOD_RE.match(value)
    if not m:
        raise BadValue(f"{value!r} is not a time range like 08:00-17:00.")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if m1 % 15 or m2 % 15 or m1 > 45 or m2 > 45:
        raise BadValue(f"{value!r}: times must be on a quarter hour (:00, :15, :30 or :45).")
    if h1 > 23 or h2 > 24 or (h2 == 24 and m2 != 0):
        raise BadValue(f"{value!r}: hours run from 00:00 to 24:00.")
    start, end = h1 * 4 + m1 // 15, h2 * 4 + m2 // 15
    if start >= end:
        raise BadValue(
            f"{value!r}: the start must be before the end; to cross midnight use two ranges "
            "(e.g. 22:00-24:00 and 00:00-06:00)."
        )
    return frozenset(range(start, end))


def _dow(value: str) -> frozenset[Key]:
    m = _DOW_RE.match(value)
    if not m or m.group(1) not in DAYS or (m.group(2) is not None and m.group(2) not in DAYS):
        raise BadValue(f"{value!r} is not a day (SUN … SAT) or a range like MON-FRI.")
    start = DAYS.index(m.group(1)) + 1
    end = DAYS.index(m.group(2)) + 1 if m.group(2) else start
    if start > end:
        first = "SAT" if start == 7 else f"{m.group(1)}-SAT"
        second = "SUN" if end == 1 else f"SUN-{m.group(2)}"
        raise BadValue(f"{value!r} wraps around the week; split it into {first} and {second}.")
    return frozenset(range(start, end + 1))


def _date(value: str) -> frozenset[Key]:
    m = _DDD_RE.match(value)
    if m:
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else start
        if not 1 <= start <= 366 or not 1 <= end <= 366:
            raise BadValue(f"{value!r}: days of the year run from 001 to 366.")
        if start > end:
            raise BadValue(f"{value!r}: the first day must not be after the last; split it at 366.")
        return frozenset(range(start, end + 1))
    m = _MMDD_RE.match(value)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month]:
            raise BadValue(f"{value!r} is not a calendar day (MM-DD).")
        return frozenset({day_of_year(month, day)})
    m = _YMD_RE.match(value)
    if m:
        year, month, day = (int(g) for g in m.groups())
        try:
            date(year, month, day)
        except ValueError:
            raise BadValue(f"{value!r} is not a real date (YYYY-MM-DD).") from None
        if year < 2000:
            raise BadValue(f"{value!r}: the year must be 2000 or later.")
        return frozenset({year * 1000 + day_of_year(month, day)})
    raise BadValue(f"{value!r} is not a day of the year (001-366), a range (001-031), MM-DD or YYYY-MM-DD.")


def _digits(n: int, what: str, example: str) -> Parser:
    def parse(value: str) -> frozenset[Key]:
        if len(value) != n or not value.isascii() or not value.isdigit():
            raise BadValue(f"{value!r} is not {what} ({n} digits, like {example}).")
        return frozenset({value})

    return parse


def _nanp(n: int, what: str, example: str) -> Parser:
    """NPA / NXX / NPA-NXX / ANI: digits, and area codes and exchanges never start with 0 or 1."""
    digits = _digits(n, what, example)

    def parse(value: str) -> frozenset[Key]:
        keys = digits(value)
        firsts = (0,) if n == 3 else (0, 3)
        if any(value[i] in "01" for i in firsts):
            raise BadValue(f"{value!r} is not {what}: area codes and exchanges never start with 0 or 1.")
        return keys

    return parse


def _state(value: str) -> frozenset[Key]:
    if value not in STATES:
        raise BadValue(f"{value!r} is not a US state or Canadian province code (like IL or ON).")
    return frozenset({value})


def _switch(value: str) -> frozenset[Key]:
    if value not in SWITCH_POSITIONS:
        raise BadValue(f"{value!r} is not a switch position (ON, OFF or ON1 … ON9).")
    return frozenset({value})


class Parser(Protocol):
    def __call__(self, value: str, /) -> frozenset[Key]: ...


_PARSERS: dict[str, Parser] = {
    "tod": _tod,
    "dow": _dow,
    "date": _date,
    "npa": _nanp(3, "an area code", "312"),
    "nxx": _nanp(3, "an exchange (NXX)", "555"),
    "npanxx": _nanp(6, "an NPA-NXX", "312555"),
    "ani": _nanp(10, "a 10-digit number", "3125550100"),
    "lata": _digits(3, "a LATA", "358"),
    "state": _state,
    "switch": _switch,
}


@dataclass(frozen=True)
class Expanded:
    """One concrete value of a branch: `took` is what the decision path shows (the value itself,
    or ``@LABEL`` when it came from a label), `index` its position in the branch's `match`."""

    index: int
    took: str
    value: str
    keys: frozenset[Key]


def expand(kind: str, values: Sequence[str], labels: Mapping[str, LabelLike]) -> Iterator[Expanded]:
    """The concrete values of a branch, labels replaced by their values. Assumes a valid plan
    (raises KeyError for an unknown label, BadValue for a bad value)."""
    for index, value in enumerate(values):
        if is_label_ref(value):
            label = labels[value[1:]]
            for inner in label.values:
                yield Expanded(index, value, inner, parse_value(kind, inner))
        else:
            yield Expanded(index, value, value, parse_value(kind, value))
