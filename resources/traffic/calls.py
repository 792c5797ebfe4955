"""Merging reports into a call and turning what is new into counter contributions (contract
"Counting rules"). Pure: no I/O, no clock (callers pass `now`).

Each call contributes three facets, each exactly once (`CallRecord.counted`):

* OFFERED at the seizure second: offered +1, starts +1;
* ANSWERED at the answer second: answered +1 and, once the seizure is known too, tta_ms;
* FINAL at the end second: the disposition's counter, talk_seconds, ends +1.

A report whose kind is already in `seen` is a duplicate and changes nothing.

Ownership: `merge` and `close_stale` never mutate the record they are given. When something
changed they return a *new* CallRecord (a copy with the changes); a duplicate, or a call that is not
stale, returns the very object that was passed in (so `returned is record` means "unchanged").

Decisions beyond the contract's text (README-worthy):
* An `answered` event without `start` does not count OFFERED (it does not know the seizure); the
  time to answer is added at the answer second when the seizure becomes known (a later `routed`
  or final report), so the totals do not depend on the order reports arrive in.
* Once FINAL is counted the call's times, codes and disposition are frozen: later reports (the CDR
  after the `ended` event, a late `routed`) only fill empty descriptive fields (site, carrier,
  version, path, ani, uri, destination, account, class, state, LATA, reason) and add no contribution.
* A final report classified "answered" by a 2xx code but without an answer time is taken as
  answered at the seizure (so `answered` and the disposition agree; time to answer 0).
* Times that disagree across reports are clamped: time to answer, ringing time and talk time are
  never negative. Billable seconds round (end - answer) to milliseconds, then up to whole seconds.
* A stale call (no end report within `max_call_seconds`) is closed as failed at seizure +
  max_call_seconds with billable 0 (its talk time is unknown).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from resources.traffic.dispositions import classify, q850_for
from resources.traffic.model import (
    COUNTED_ANSWERED,
    COUNTED_FINAL,
    COUNTED_OFFERED,
    FIELD_INDEX,
    FINAL_FIELD,
    KIND_BIT,
    CallEvent,
    CallRecord,
    Contribution,
    Disposition,
    Key,
    NumberInfo,
)

FINAL_KINDS = frozenset({"ended", "failed", "cdr"})
STALE_REASON = "no end report"

# Filled from any report (first value wins), before and after the call ended.
_DESCRIPTIVE = (
    "ani",
    "site",
    "destination",
    "uri",
    "carrier",
    "version",
    "account_code",
    "call_class",
    "origin_state",
    "origin_lata",
    "reason",
)
# Filled only while the call has not ended (they decide the disposition).
_OUTCOME = ("sip_code", "q850", "block")

_OFFERED = FIELD_INDEX["offered"]
_STARTS = FIELD_INDEX["starts"]
_ANSWERED = FIELD_INDEX["answered"]
_TTA = FIELD_INDEX["tta_ms"]
_TALK = FIELD_INDEX["talk_seconds"]
_ENDS = FIELD_INDEX["ends"]


def second_of(epoch: float) -> int:
    """The epoch second an instant falls in."""
    return math.floor(epoch)


def billable_seconds(answer: float | None, end: float) -> int:
    """Whole talk seconds, rounded up (after rounding to milliseconds); 0 when unanswered."""
    if answer is None:
        return 0
    return max(0, math.ceil(round(end - answer, 3)))


def merge(
    record: CallRecord | None, event: CallEvent, info: NumberInfo, *, now: float
) -> tuple[CallRecord, list[Contribution], bool]:
    """Merge `event` into the call `record` (None = first report of this call id).

    Returns (record after the merge, contributions, duplicate). `info` is the owner of
    `event.number`; it only matters for a new call (the key is fixed at first sight)."""
    bit = KIND_BIT[event.kind]
    if record is not None and record.seen & bit:
        return record, [], True
    merged = _new_record(event, info, now=now) if record is None else dataclasses.replace(record)
    merged.seen |= bit
    _fill(merged, event)
    out: list[Contribution] = []
    if event.kind in FINAL_KINDS and not merged.counted & COUNTED_FINAL:
        end = merged.end if merged.end is not None else event.ts
        # Seizure of a final report without start: its answer, else its end.
        seizure = _first_time(merged.start, merged.answer, end)
        merged.start, merged.end = seizure, end
        _count_offered(merged, out)
        _count_final(merged, out, seizure=seizure, end=end)
    else:
        _count_offered(merged, out)
        _count_answered(merged, out)
    merged.updated_at = now
    return merged, out, False


def close_stale(
    record: CallRecord, *, now: float, max_call_seconds: int
) -> tuple[CallRecord, list[Contribution]]:
    """Close a call that has been open longer than `max_call_seconds` (its end report was lost) as
    `failed` at seizure + max_call_seconds. Not stale or already ended: (record, [])."""
    if record.counted & COUNTED_FINAL:
        return record, []
    seizure = _first_time(record.start, record.answer, record.received_at)
    end = seizure + max_call_seconds
    if end > now:
        return record, []
    closed = dataclasses.replace(record)
    if closed.start is None:
        closed.start = seizure
    out: list[Contribution] = []
    _count_offered(closed, out)
    _count_answered(closed, out)
    closed.end = end
    closed.duration = round(max(0.0, end - seizure), 3)
    closed.billable = 0
    closed.disposition = "failed"
    closed.reason = STALE_REASON
    closed.counted |= COUNTED_FINAL
    _add(out, closed.key, end, FIELD_INDEX["failed"], 1)
    _add(out, closed.key, end, _ENDS, 1)
    closed.updated_at = now
    return closed, out


def contributions_of(record: CallRecord) -> list[Contribution]:
    """Every contribution the call has made so far (its `counted` facets), as `merge` produced
    them: the live view rebuilds its window from stored calls with this."""
    out: list[Contribution] = []
    offered = bool(record.counted & COUNTED_OFFERED) and record.start is not None
    if offered and record.start is not None:
        _add(out, record.key, record.start, _OFFERED, 1)
        _add(out, record.key, record.start, _STARTS, 1)
    if record.counted & COUNTED_ANSWERED and record.answer is not None:
        _add(out, record.key, record.answer, _ANSWERED, 1)
        if offered:
            _add_tta(record, out)
    if record.counted & COUNTED_FINAL and record.end is not None:
        field = FINAL_FIELD.get(record.disposition or "failed")
        if field is not None:
            _add(out, record.key, record.end, FIELD_INDEX[field], 1)
        _add(out, record.key, record.end, _TALK, record.billable or 0)
        _add(out, record.key, record.end, _ENDS, 1)
    return out


def summary(record: CallRecord) -> dict[str, Any]:
    """The CallSummary JSON of a call (bus `traffic.delta`, live table rows, `/api/calls` items)."""
    return {
        "call_id": record.call_id,
        "number": record.number,
        "customer_id": record.customer_id,
        "ani": record.ani,
        "site": record.site,
        "destination": record.destination,
        "carrier": record.carrier,
        "version": record.version,
        "start": record.start,
        "answer": record.answer,
        "end": record.end,
        "disposition": record.disposition,
        "sip_code": record.sip_code,
        "q850": record.q850,
        "billable": record.billable,
        "call_class": record.call_class,
        "account_code": record.account_code,
        "updated": record.updated_at,
    }


def _first_time(first: float | None, second: float | None, last: float) -> float:
    if first is not None:
        return first
    return second if second is not None else last


def _new_record(event: CallEvent, info: NumberInfo, *, now: float) -> CallRecord:
    return CallRecord(
        call_id=event.call_id,
        customer_id=info.customer_id,
        resellers=info.resellers,
        number=event.number,
        element=event.element,
        received_at=now,
        updated_at=now,
        key=Key(info.customer_id, event.number, event.site or "", event.carrier or ""),
    )


def _fill(record: CallRecord, event: CallEvent) -> None:
    """Copy what `event` knows into the empty fields of `record` (never overwriting)."""
    for name in _DESCRIPTIVE:
        if getattr(record, name) is None:
            value = getattr(event, name)
            if value is not None:
                setattr(record, name, value)
    if not record.path and event.path:
        record.path = event.path
    if not record.element:
        record.element = event.element
    if record.counted & COUNTED_FINAL:
        return  # the outcome is frozen
    for name in _OUTCOME:
        if getattr(record, name) is None:
            value = getattr(event, name)
            if value is not None:
                setattr(record, name, value)
    start, answer, end = event.start, event.answer, None
    if event.kind == "routed" and start is None:
        start = event.ts  # a routed event happens at the seizure
    elif event.kind == "answered" and answer is None:
        answer = event.ts
    elif event.kind in FINAL_KINDS:
        end = event.end if event.end is not None else event.ts  # only final reports end a call
    if record.start is None:
        record.start = start
    if record.answer is None:
        record.answer = answer
    if record.end is None:
        record.end = end


def _add(out: list[Contribution], key: Key, when: float, field: int, amount: int) -> None:
    if amount:
        out.append(Contribution(key, second_of(when), field, amount))


def _add_tta(record: CallRecord, out: list[Contribution]) -> None:
    """The time to answer, once both OFFERED and ANSWERED are counted (exactly once)."""
    if record.answer is None or record.start is None:
        return
    _add(out, record.key, record.answer, _TTA, max(0, round((record.answer - record.start) * 1000)))


def _count_offered(record: CallRecord, out: list[Contribution]) -> None:
    if record.counted & COUNTED_OFFERED or record.start is None:
        return
    record.counted |= COUNTED_OFFERED
    _add(out, record.key, record.start, _OFFERED, 1)
    _add(out, record.key, record.start, _STARTS, 1)
    if record.counted & COUNTED_ANSWERED:
        _add_tta(record, out)  # answered before the seizure was known


def _count_answered(record: CallRecord, out: list[Contribution]) -> None:
    if record.counted & COUNTED_ANSWERED or record.answer is None:
        return
    record.counted |= COUNTED_ANSWERED
    _add(out, record.key, record.answer, _ANSWERED, 1)
    if record.counted & COUNTED_OFFERED:
        _add_tta(record, out)


def _count_final(record: CallRecord, out: list[Contribution], *, seizure: float, end: float) -> None:
    disposition: Disposition = classify(
        answered=record.answer is not None,
        sip_code=record.sip_code,
        q850=record.q850,
        block=record.block,
        ring_seconds=end - seizure,
    )
    if disposition == "answered" and record.answer is None:
        record.answer = seizure  # a 2xx final without an answer time
    _count_answered(record, out)
    if record.q850 is None:
        record.q850 = q850_for(record.sip_code)
    record.disposition = disposition
    record.billable = billable_seconds(record.answer, end)
    record.duration = round(max(0.0, end - seizure), 3)
    record.counted |= COUNTED_FINAL
    field = FINAL_FIELD[disposition]
    if field is not None:
        _add(out, record.key, end, FIELD_INDEX[field], 1)
    _add(out, record.key, end, _TALK, record.billable)
    _add(out, record.key, end, _ENDS, 1)
