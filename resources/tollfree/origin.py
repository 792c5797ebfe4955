"""Where a caller is: area code, exchange, state and LATA of a calling number (ANI).

Two sources, the second overriding the first:

* the NPA → state table derived once (lazily, `functools.cache`) from the geocoder data that
  ships with `phonenumbers` ("Chicago, IL" → IL, "Massachusetts" → MA, territories by region);
* NPA-NXX rows the provider imports (LERG-like CSV: ``npanxx,lata,state,rate_center``).

`OriginData` is immutable; a new import builds a new object and the SCP swaps it whole.
`lookup` is on the SCP's hot path: string slicing and one or two dict lookups, never raises.
"""

from __future__ import annotations

import csv
import functools
import io
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from resources.tollfree.plan import Issue
from resources.tollfree.values import STATES

MAX_CSV_ISSUES = 50


class CallerOrigin(NamedTuple):
    """A caller's origin; every field None when the number is unknown (absent, foreign, garbage)."""

    digits10: str | None
    npa: str | None
    nxx: str | None
    npanxx: str | None
    state: str | None
    lata: str | None


UNKNOWN = CallerOrigin(None, None, None, None, None, None)


@dataclass(frozen=True)
class OriginRow:
    npanxx: str
    lata: str | None
    state: str | None
    rate_center: str | None


@dataclass(frozen=True, eq=False)
class OriginData:
    """NPA-NXX rows (imported) over the NPA → state table (phonenumbers). Build with `build`."""

    rows: Mapping[str, OriginRow] = field(default_factory=dict)
    npa_state: Mapping[str, str] = field(default_factory=dict)
    # npanxx → (lata, state) with the NPA's state filled in when the row has none
    _resolved: Mapping[str, tuple[str | None, str | None]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, rows: Iterable[OriginRow] = ()) -> OriginData:
        table = npa_states()
        by_npanxx = {row.npanxx: row for row in rows}
        resolved = {key: (row.lata, row.state or table.get(key[:3])) for key, row in by_npanxx.items()}
        return cls(rows=by_npanxx, npa_state=table, _resolved=resolved)

    def lookup(self, ani: str | None) -> CallerOrigin:
        """``"+13125550100"``, ``"13125550100"`` or ``"3125550100"`` → the caller's origin;
        anything else (None, foreign, letters, NPA/NXX starting with 0/1) → `UNKNOWN`."""
        if type(ani) is not str:
            return UNKNOWN
        n = len(ani)
        if n == 12 and ani[0] == "+" and ani[1] == "1":
            digits = ani[2:]
        elif n == 11 and ani[0] == "1":
            digits = ani[1:]
        elif n == 10:
            digits = ani
        else:
            return UNKNOWN
        if not digits.isdigit() or not digits.isascii() or digits[0] in "01" or digits[3] in "01":
            return UNKNOWN
        npa = digits[:3]
        npanxx = digits[:6]
        hit = self._resolved.get(npanxx)
        if hit is None:
            return CallerOrigin(digits, npa, digits[3:6], npanxx, self.npa_state.get(npa), None)
        return CallerOrigin(digits, npa, digits[3:6], npanxx, hit[1], hit[0])

    def state_of(self, npa_or_npanxx: str) -> str | None:
        """State of an NPA (3 digits) or NPA-NXX (6 digits), imported rows first."""
        if len(npa_or_npanxx) == 6:
            hit = self._resolved.get(npa_or_npanxx)
            if hit is not None:
                return hit[1]
        return self.npa_state.get(npa_or_npanxx[:3])

    def lata_of(self, npanxx: str) -> str | None:
        hit = self._resolved.get(npanxx)
        return hit[0] if hit is not None else None

    def rows_in_lata(self, lata: str) -> list[OriginRow]:
        return [row for row in self.rows.values() if row.lata == lata]


def parse_origin_csv(text: str) -> tuple[list[OriginRow], list[Issue]]:
    """Rows of an origin import (header ``npanxx,lata,state,rate_center``); problems as issues
    with ``field="line N"`` (the header is line 1). Any issue means nothing should be imported."""
    issues: list[Issue] = []
    rows: list[OriginRow] = []
    first_line: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return [], [Issue(None, "line 1", f"The file is not valid CSV: {exc}.")]
    if header is None or [h.strip().lower() for h in header] != ["npanxx", "lata", "state", "rate_center"]:
        return [], [Issue(None, "line 1", "The first line must be the header npanxx,lata,state,rate_center.")]

    def fail(line: int, message: str) -> None:
        if len(issues) < MAX_CSV_ISSUES:
            issues.append(Issue(None, f"line {line}", message))

    try:
        for record in reader:
            line = reader.line_num
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != 4:
                fail(line, f"Expected 4 columns (npanxx,lata,state,rate_center), found {len(record)}.")
                continue
            npanxx, lata, state, rate_center = (cell.strip() for cell in record)
            state = state.upper()
            if len(npanxx) != 6 or not npanxx.isascii() or not npanxx.isdigit() or npanxx[0] in "01":
                fail(line, f"{npanxx!r} is not an NPA-NXX (6 digits, like 312555).")
                continue
            if npanxx[3] in "01":
                fail(line, f"{npanxx!r} is not an NPA-NXX: exchanges never start with 0 or 1.")
                continue
            if lata and (len(lata) != 3 or not lata.isascii() or not lata.isdigit()):
                fail(line, f"{lata!r} is not a LATA (3 digits, like 358).")
                continue
            if state and state not in STATES:
                fail(line, f"{state!r} is not a US state or Canadian province code (like IL or ON).")
                continue
            if len(rate_center) > 64:
                fail(line, "The rate center name is longer than 64 characters.")
                continue
            if npanxx in first_line:
                fail(line, f"NPA-NXX {npanxx} appears twice (first on line {first_line[npanxx]}).")
                continue
            first_line[npanxx] = line
            rows.append(OriginRow(npanxx, lata or None, state or None, rate_center or None))
    except csv.Error as exc:
        fail(reader.line_num, f"The file is not valid CSV: {exc}.")
    return rows, issues


_STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "washington d.c.": "DC", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY",
    "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
    "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE",
    "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "washington state": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "puerto rico": "PR", "alberta": "AB", "british columbia": "BC",
    "british colombia": "BC", "manitoba": "MB", "new brunswick": "NB",
    "newfoundland and labrador": "NL", "nova scotia": "NS", "ontario": "ON",
    "prince edward island": "PE", "quebec": "QC", "saskatchewan": "SK", "yukon": "YT",
    "northwest territories": "NT", "nunavut": "NU",
}  # fmt: skip
_TERRITORIES = ("PR", "VI", "GU", "AS", "MP")


def state_from_description(description: str | None) -> str | None:
    """A geocoder description → postal code: "Chicago, IL" → IL, "Massachusetts" → MA;
    None for anything else (foreign places, several provinces at once)."""
    if not description:
        return None
    _head, sep, tail = description.rpartition(", ")
    if sep and tail in STATES:
        return tail
    return _STATE_NAMES.get(description.strip().lower())


@functools.cache
def npa_states() -> Mapping[str, str]:
    """NPA → state/province for the US, Canada and US territories, from phonenumbers' data.

    The NPA's own description wins; otherwise the most common state among its NPA-NXX
    descriptions. Computed once per process on first use (loading the data takes ~0.5 s)."""
    import phonenumbers
    from phonenumbers.geodata import GEOCODE_DATA

    own: dict[str, str] = {}
    votes: dict[str, Counter[str]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if len(prefix) < 4 or prefix[0] != "1":
            continue
        state = state_from_description(names.get("en"))
        if state is None:
            continue
        npa = prefix[1:4]
        if len(prefix) == 4:
            own[npa] = state
        else:
            votes.setdefault(npa, Counter())[state] += 1
    table = {npa: counter.most_common(1)[0][0] for npa, counter in votes.items()}
    table.update(own)
    for region in _TERRITORIES:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        for npa in (meta.leading_digits or "").split("|") if meta else ():
            if len(npa) == 3 and npa.isdigit():
                table[npa] = region
    return table
