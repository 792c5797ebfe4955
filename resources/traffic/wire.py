"""The ingest wire format (contract "Wire format"): JSON records from network elements -> CallEvent.

One record is a JSON object: our own shape (`type`, `callid`, `dnis`, `ts`, …), a Kamailio acc_json
CDR (`start_time`, `end_time`, `duration` plus `cdr_extra` fields) or an acc_json transaction record
(`method`, `sip_code`, `time`, …). A toll-free call names the dialled number (`dnis`); an outbound
call (one the customer's users dial out) names the calling `line` instead, with its calling
`class` and `account` code, and `dest` the dialled number. Numbers may be JSON numbers or numeric
strings (Kamailio's pseudo-variables are strings); an empty string is the same as an absent field;
unknown fields are ignored. Pure: no I/O; `parse_record` never raises on any JSON value,
`parse_body` raises only BodyError (the whole request is unusable).

Beyond the contract's table:
* `ts` absent: a final report with `end` uses it, a `routed` one its `start`, an `answered` one its
  `answer`; otherwise the arrival time (`now`).
* An acc_json CDR with `sip_code` >= 300 or `block` set takes `start_time` as the seizure only,
  not as an answer (Kamailio writes the dialog's creation time there for a failed call).
* Within one record, start <= answer <= end is required.
* `line` and `dnis` exclude each other; `class` needs `line`. The number looked up (and counted)
  for an outbound call is its line.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, NoReturn

from resources.tollfree.network import normalise_ani, normalise_dnis
from resources.traffic.model import EVENT_KINDS, BlockReason, CallEvent, EventKind, NumberInfo, Rejection

MAX_TEXT = 256  # characters of any string field
MAX_PATH = 64  # nodes in a decision path
MAX_TS = 253_402_300_800.0  # 10000-01-01T00:00:00Z
MAX_VERSION = 2_147_483_647
FINAL_KINDS = frozenset({"ended", "failed", "cdr"})
BLOCKS: tuple[BlockReason, ...] = ("plan", "network", "switch", "payphone", "policy")

NOT_JSON = "the body is not valid JSON"
NOT_RECORDS = "the body must be a JSON object or an array of objects"

_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_INTEGER = re.compile(r"[+-]?[0-9]{1,12}")
_CARRIER = re.compile(r"[0-9]{4}")
_STATE = re.compile(r"[A-Za-z]{2}")
_LATA = re.compile(r"[0-9]{3}")
_PATH_SPLIT = re.compile(r"[,;]")
_NANP_LINE = re.compile(r"(?:\+1|1)?([2-9][0-9]{9})")
_E164_LINE = re.compile(r"\+[1-9][0-9]{7,14}")
_CLASS = re.compile(r"[a-z][a-z-]{0,31}")

_KINDS_TEXT = "routed, answered, ended, failed or cdr"
_TIME_TEXT = "epoch seconds (like 1709542800.25) or ISO 8601 with an offset (like 2024-03-04T09:00:00Z)"
_DNIS_TEXT = "a North American number like +18005550100, 18005550100 or 8005550100"
_LINE_TEXT = "a phone number in E.164 like +13125550142 (or a North American 3125550142 or 13125550142)"
_CLASS_TEXT = "a calling class like international, long-distance or local (lowercase letters and -)"


class BodyError(Exception):
    """The request as a whole is unusable: `status` 400 (not JSON, not an object or array) or 413
    (too many records); `message` is the problem's detail sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Invalid(Exception):
    """The first problem found in one record (internal control flow of parse_record)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_body(
    raw: bytes,
    *,
    element: str,
    now: float,
    numbers: Callable[[str], NumberInfo | None],
    max_records: int,
) -> tuple[list[CallEvent], list[Rejection]]:
    """The records of a request body: the events to ingest (in body order) and the rejections
    (with their index in the body). Raises BodyError for a body that is not usable at all."""
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BodyError(400, NOT_JSON) from None
    if isinstance(data, dict):
        records: list[Any] = [data]
    elif isinstance(data, list):
        records = data
    else:
        raise BodyError(400, NOT_RECORDS)
    if len(records) > max_records:
        raise BodyError(
            413, f"the body holds {len(records)} records but one request may carry at most {max_records}"
        )
    events: list[CallEvent] = []
    rejections: list[Rejection] = []
    for index, item in enumerate(records):
        result = parse_record(item, element=element, now=now)
        if isinstance(result, Rejection):
            rejections.append(dataclasses.replace(result, index=index))
        elif numbers(result.number) is None:
            rejections.append(unknown_number(result, index=index))
        else:
            events.append(result)
    return events, rejections


def unknown_number(event: CallEvent, *, index: int | None) -> Rejection:
    """The `unknown-number` rejection of an event whose number (dnis, or an outbound call's
    line) traffic does not know."""
    if event.outbound:
        field, message = "line", f"line {event.number} is not a number or line known to traffic"
    else:
        field, message = "dnis", f"dnis {event.number} is not a toll-free number known to traffic"
    return Rejection(index=index, reason="unknown-number", field=field, message=message)


def parse_record(obj: Any, *, element: str, now: float) -> CallEvent | Rejection:
    """One record -> a CallEvent, or a Rejection (index None) naming the first bad field. The
    number is normalised but not looked up."""
    if not isinstance(obj, dict):
        return Rejection(
            index=None, reason="malformed", field="record", message="each record must be a JSON object"
        )
    try:
        return _parse(obj, element=element, now=now)
    except _Invalid as problem:
        return Rejection(index=None, reason="invalid", field=problem.field, message=problem.message)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _parse(obj: dict[str, Any], *, element: str, now: float) -> CallEvent:
    kind = _kind(obj)
    call_id = _text(obj, "callid", "call_id")
    if call_id is None:
        raise _Invalid("callid", "callid is required: a string of 1 to 256 characters")
    number, outbound = _number_of(obj)
    call_class = _call_class(obj, outbound)
    ani_name, ani_raw = _pick(obj, "ani")
    ok, ani = normalise_ani(ani_raw)
    if not ok:
        raise _Invalid(ani_name, f"{ani_name} must be a phone number like +13125550100 or 3125550100")
    destination = _text(obj, "dest")
    site = _text(obj, "site")
    if site is None and destination is not None and destination.startswith("site:"):
        site = destination[len("site:") :] or None
    uri = _text(obj, "uri")
    carrier = _matching(obj, ("carrier",), _CARRIER, "a 4-digit carrier identification code like 0288")
    version = _integer_field(obj, ("version",), 1, MAX_VERSION, "a whole number of at least 1")
    path = _path(obj)
    sip_code = _integer_field(obj, ("sip_code", "code"), 100, 699, "a SIP status code from 100 to 699")
    q850 = _integer_field(obj, ("q850",), 0, 127, "a Q.850 cause from 0 to 127")
    block = _block(obj)
    reason = _text(obj, "reason", "sip_reason")  # the switch's own text over a reply's standard phrase
    account = _text(obj, "account")
    state = _matching(obj, ("state",), _STATE, "a 2-letter state code like IL")
    lata = _matching(obj, ("lata",), _LATA, "a 3-digit LATA like 358")
    start = _time_field(obj, "start", "seized")
    answer = _time_field(obj, "answer")
    end = _time_field(obj, "end", "end_time")
    start_time = _time_field(obj, "start_time")
    if start_time is not None:  # acc_json CDR: start_time is the dialog start (the answer)
        duration = _duration(obj)
        if end is None and duration is not None:
            end = start_time + duration
        if start is None:
            start = start_time
        failed = (sip_code is not None and sip_code >= 300) or block is not None
        if answer is None and not failed:
            answer = start_time
    _check_order(start, answer, end)
    ts = _time_field(obj, "ts", "time")
    if ts is None:
        if kind in FINAL_KINDS and end is not None:
            ts = end
        elif kind == "routed" and start is not None:
            ts = start
        elif kind == "answered" and answer is not None:
            ts = answer
        else:
            ts = now
    return CallEvent(
        call_id=call_id,
        kind=kind,
        ts=ts,
        element=element,
        number=number,
        ani=ani,
        site=site,
        destination=destination,
        uri=uri,
        carrier=carrier,
        version=version,
        path=path,
        start=start,
        answer=answer,
        end=end,
        sip_code=sip_code,
        q850=q850,
        block=block,
        account_code=account,
        origin_state=state.upper() if state is not None else None,
        origin_lata=lata,
        reason=reason,
        call_class=call_class,
        outbound=outbound,
    )


def _present(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name)
    return value is not None and not (isinstance(value, str) and value == "")


def _pick(obj: dict[str, Any], *names: str) -> tuple[str, Any]:
    """(the name used, its value) of the first of `names` present; (names[0], None) if none is."""
    for name in names:
        if _present(obj, name):
            return name, obj[name]
    return names[0], None


def _kind(obj: dict[str, Any]) -> EventKind:
    name, raw = _pick(obj, "type")
    if raw is not None:
        if isinstance(raw, str) and raw in EVENT_KINDS:
            return raw
        raise _Invalid(name, f"type must be one of {_KINDS_TEXT}")
    if _present(obj, "start_time") and (_present(obj, "end_time") or _present(obj, "duration")):
        return "cdr"  # acc_json CDR
    if _present(obj, "method"):
        code_name, code_raw = _pick(obj, "sip_code", "code")
        if code_raw is not None:  # acc_json transaction record
            code = _integer(code_raw)
            if code is None or not 100 <= code <= 699:
                raise _Invalid(code_name, f"{code_name} must be a SIP status code from 100 to 699")
            return "failed" if code >= 300 else "answered"
    raise _Invalid(
        "type",
        f"type is required: one of {_KINDS_TEXT} (or an acc_json CDR with start_time and end_time or "
        "duration, or an acc_json transaction record with method and sip_code)",
    )


def _text(obj: dict[str, Any], *names: str) -> str | None:
    name, value = _pick(obj, *names)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(name, f"{name} must be a string of at most {MAX_TEXT} characters")
    if len(value) > MAX_TEXT:
        raise _Invalid(name, f"{name} must be at most {MAX_TEXT} characters long")
    return value


def _matching(obj: dict[str, Any], names: tuple[str, ...], pattern: re.Pattern[str], what: str) -> str | None:
    name, value = _pick(obj, *names)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Invalid(name, f"{name} must be {what}")
    return value


def _number_of(obj: dict[str, Any]) -> tuple[str, bool]:
    """(the number the call is counted under, outbound): the dialled toll-free `dnis`, or the
    calling `line` of an outbound call."""
    line_name, line_raw = _pick(obj, "line")
    dnis_name, dnis_raw = _pick(obj, "dnis", "number")
    if line_raw is not None:
        if dnis_raw is not None:
            raise _Invalid(
                line_name,
                f"{line_name} (an outbound call's calling line) and {dnis_name} (a toll-free call's "
                "dialled number) exclude each other: send one of them",
            )
        line = normalise_line(line_raw)
        if line is None:
            raise _Invalid(line_name, f"{line_name} must be {_LINE_TEXT}")
        return line, True
    if dnis_raw is None:
        raise _Invalid(
            "dnis",
            f"dnis is required: the dialled toll-free number, {_DNIS_TEXT} "
            "(or, for an outbound call, line: the calling line)",
        )
    number = normalise_dnis(dnis_raw)
    if number is None:
        raise _Invalid(dnis_name, f"{dnis_name} must be {_DNIS_TEXT}")
    return number, False


def normalise_line(value: Any) -> str | None:
    """A calling line as E.164: NANP `+13125550142`, `13125550142` or `3125550142` → `+1…`;
    elsewhere `+` and 8 to 15 digits; None when it is neither."""
    if not isinstance(value, str):
        return None
    match = _NANP_LINE.fullmatch(value)
    if match:
        return "+1" + match.group(1)
    if value.startswith("+1") or not _E164_LINE.fullmatch(value):
        return None  # +1 is NANP (matched above) or nothing
    return value


def _call_class(obj: dict[str, Any], outbound: bool) -> str | None:
    name, value = _pick(obj, "class")
    if value is None:
        return None
    if not outbound:
        raise _Invalid(
            name, f"{name} is the calling class of an outbound call: it needs line, the calling line"
        )
    if not isinstance(value, str) or not _CLASS.fullmatch(value):
        raise _Invalid(name, f"{name} must be {_CLASS_TEXT}")
    return value


def _block(obj: dict[str, Any]) -> BlockReason | None:
    name, value = _pick(obj, "block")
    if value is None:
        return None
    if isinstance(value, str) and value in BLOCKS:
        return value
    raise _Invalid(name, f"{name} must be one of plan, network, switch, payphone or policy")


def _path(obj: dict[str, Any]) -> tuple[str, ...]:
    name, value = _pick(obj, "path")
    if value is None:
        return ()
    problem = (
        f"{name} must be a list of at most {MAX_PATH} node ids (strings) or one string of node ids "
        "separated by , or ;"
    )
    if isinstance(value, str):
        if len(value) > MAX_TEXT * 4:
            raise _Invalid(name, problem)
        nodes = [part.strip() for part in _PATH_SPLIT.split(value)]
        value = [node for node in nodes if node]
    if not isinstance(value, list) or len(value) > MAX_PATH:
        raise _Invalid(name, problem)
    if not all(isinstance(node, str) and 0 < len(node) <= MAX_TEXT for node in value):
        raise _Invalid(name, problem)
    return tuple(value)


def _number(value: Any) -> float | None:
    """A finite float from a JSON number or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40 or not _NUMERIC.fullmatch(text):
            return None
        value = text
    elif not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _integer(value: Any) -> int | None:
    """An int from a JSON integer, an integral float or a string of digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _integer_field(obj: dict[str, Any], names: tuple[str, ...], low: int, high: int, what: str) -> int | None:
    name, raw = _pick(obj, *names)
    if raw is None:
        return None
    value = _integer(raw)
    if value is None or not low <= value <= high:
        raise _Invalid(name, f"{name} must be {what}")
    return value


def _duration(obj: dict[str, Any]) -> float | None:
    name, raw = _pick(obj, "duration")
    if raw is None:
        return None
    value = _number(raw)
    if value is None or not 0 <= value < MAX_TS:
        raise _Invalid(name, f"{name} must be a number of seconds, 0 or more")
    return value


def _time_field(obj: dict[str, Any], *names: str) -> float | None:
    name, raw = _pick(obj, *names)
    if raw is None:
        return None
    value = _number(raw)
    if value is None and isinstance(raw, str) and len(raw) <= 64:
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                raise _Invalid(name, f"{name} must include a UTC offset (like 2024-03-04T09:00:00Z)")
            try:
                value = moment.timestamp()
            except (OverflowError, ValueError, OSError):
                value = None
    if value is None or not 0 <= value < MAX_TS:
        raise _Invalid(name, f"{name} must be a time in {_TIME_TEXT}")
    return value


def _check_order(start: float | None, answer: float | None, end: float | None) -> None:
    if start is not None and answer is not None and answer < start:
        raise _Invalid("answer", "answer must not be before start (the seizure)")
    if answer is not None and end is not None and end < answer:
        raise _Invalid("end", "end must not be before answer")
    if start is not None and end is not None and end < start:
        raise _Invalid("end", "end must not be before start (the seizure)")
