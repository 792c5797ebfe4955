"""Builders for the traffic core tests (wire, calls, buckets, aggregation): instants, numbers,
events, and a tiny driver that merges reports the way the store does (in memory)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from resources.traffic.calls import merge
from resources.traffic.model import (
    FIELD_INDEX,
    FIELDS,
    NFIELDS,
    CallEvent,
    CallRecord,
    Contribution,
    Key,
    NumberInfo,
)

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC).timestamp()  # 1709542800.0, a bucket start
TFN = "+18005550100"
TFN2 = "+18005550101"
INFO = NumberInfo(number=TFN, customer_id="globex", resellers=("acme",))
INFO2 = NumberInfo(number=TFN2, customer_id="globex", resellers=("acme",))
NUMBERS = {TFN: INFO, TFN2: INFO2}
EAST = Key("globex", TFN, "east", "")
WEST = Key("globex", TFN, "west", "")
NOSITE = Key("globex", TFN, "", "")


def lookup(number: str) -> NumberInfo | None:
    return NUMBERS.get(number)


def event(kind: Any, at: float, *, call_id: str = "c1", number: str = TFN, **fields: Any) -> CallEvent:
    """A CallEvent `at` seconds after T0 (times in `fields` are offsets from T0 too)."""
    for name in ("start", "answer", "end"):
        if fields.get(name) is not None:
            fields[name] = T0 + fields[name]
    return CallEvent(call_id=call_id, kind=kind, ts=T0 + at, element="kam1", number=number, **fields)


def contribution(key: Key, at: int, field: str, amount: int) -> Contribution:
    """A Contribution at second T0 + `at`."""
    return Contribution(key, int(T0) + at, FIELD_INDEX[field], amount)


class Calls:
    """In-memory call table: merges events in order, keeps contributions and counts duplicates."""

    def __init__(self) -> None:
        self.records: dict[str, CallRecord] = {}
        self.contributions: list[Contribution] = []
        self.duplicates = 0
        self.accepted = 0

    def feed(self, events: Iterable[CallEvent], *, now: float | None = None) -> list[Contribution]:
        added: list[Contribution] = []
        for item in events:
            info = NUMBERS[item.number]
            record, contributed, duplicate = merge(
                self.records.get(item.call_id), item, info, now=item.ts if now is None else now
            )
            if duplicate:
                self.duplicates += 1
                continue
            self.accepted += 1
            self.records[item.call_id] = record
            added.extend(contributed)
        self.contributions.extend(added)
        return added


def totals(contributions: Iterable[Contribution]) -> dict[str, int]:
    """Sum by field name (fields that sum to zero left out)."""
    sums = [0] * NFIELDS
    for item in contributions:
        sums[item.field] += item.amount
    return {name: sums[i] for i, name in enumerate(FIELDS) if sums[i]}


def vector(counts: Mapping[str, int]) -> list[int]:
    """A NFIELDS-long vector from {field name: value}."""
    out = [0] * NFIELDS
    for name, value in counts.items():
        out[FIELD_INDEX[name]] = value
    return out
