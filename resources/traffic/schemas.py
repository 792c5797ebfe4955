"""Input checks for the traffic pages and JSON API, and the JSON/CSV shapes they answer.

Every parse function raises `ValidationFailed` (`errors: [{"field", "message"}]`) with a sentence
a person can act on; the pages show it next to the field, the API answers it as a 422 problem.
Times are UTC: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` (a space works too; an explicit offset or `Z`
is honoured) or, in the API, epoch seconds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from resources.kit.errors import ValidationFailed
from resources.traffic.model import DISPOSITIONS, FIELDS, CallRecord
from resources.traffic.wire import normalise_line

TFN_RE = re.compile(r"^\+1(800|833|844|855|866|877|888)\d{7}$")
CUSTOMER_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SITE_RE = re.compile(r"^[a-z0-9-]{1,32}$")
CLASS_RE = re.compile(r"^[a-z][a-z-]{0,31}$")
# The outbound resource's calling classes (offered in the calls page's filter; any token is accepted)
CALL_CLASSES = (
    "emergency", "operator", "directory", "service", "toll-free", "premium", "local", "long-distance",
    "international",
)  # fmt: skip
PLAIN_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
MAX_RANGE = timedelta(days=31)
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
DISPOSITION_WORDS: dict[str, str] = {
    "answered": "Answered",
    "short": "Short call",
    "abandoned": "Didn't wait",
    "no_answer": "Didn't answer",
    "busy": "Busy",
    "all_trunks_busy": "All trunks busy",
    "blocked": "Blocked",
    "failed": "Failed",
}


def fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([{"field": field, "message": message}])


# --- selections ----------------------------------------------------------------------------------


def parse_selection(value: str | None, *, field: str = "select") -> str:
    """The canonical text of a selection: `all` (also for empty), `customer:<id>`,
    `number:<E.164>` (any accepted spelling of the number), `site:<customer_id>/<name>`."""
    text = (value or "").strip()
    if text in ("", "all"):
        return "all"
    kind, _, rest = text.partition(":")
    if kind == "customer" and CUSTOMER_RE.match(rest):
        return text
    if kind == "number":
        return f"number:{parse_number(rest, field=field)}"  # a toll-free number or an outbound line
    if kind == "site":
        customer, _, name = rest.partition("/")
        if CUSTOMER_RE.match(customer) and SITE_RE.match(name):
            return text
    raise fail(
        field,
        "Choose what to show: all, customer:<id>, number:<+1800…> or site:<customer>/<site>.",
    )


def parse_number(value: str | None, *, field: str = "number") -> str:
    """A toll-free number or an outbound calling line as E.164: `+18005550100`, `18005550100`
    or `8005550100`; a line outside North America as `+` and 8 to 15 digits."""
    raw = (value or "").strip().replace("-", "").replace(" ", "")
    digits = raw.removeprefix("+")
    if len(digits) == 10 and digits.isdigit():
        digits = "1" + digits
    number = "+" + digits
    if TFN_RE.match(number):
        return number
    line = normalise_line(number)
    if line is None:
        raise fail(field, "Enter a toll-free number like +18005550100 or a line like +13125550142.")
    return line


def parse_call_class(value: str | None, *, field: str = "class") -> str | None:
    """An outbound calling class token (`international`, `long-distance`, …); empty = any."""
    text = (value or "").strip()
    if not text or text == "any":
        return None
    if not CLASS_RE.match(text):
        raise fail(field, f"Give a calling class like {', '.join(CALL_CLASSES[-3:])}.")
    return text


# --- times ---------------------------------------------------------------------------------------


def parse_day(value: str | None, *, field: str = "day") -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise fail(field, "Give the day as YYYY-MM-DD.") from None


def parse_moment(
    value: str | None, *, field: str, end_of_day: bool = False, epoch: bool = False
) -> datetime | None:
    """A UTC moment; a bare date is its midnight (`end_of_day`: the next midnight, so a `to` date
    includes that whole day). Empty = None. `epoch`: also accept epoch seconds (the API)."""
    text = (value or "").strip()
    if not text:
        return None
    if epoch and PLAIN_NUMBER_RE.match(text):
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (OverflowError, OSError, ValueError):
            raise fail(field, "That time is out of range.") from None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except (ValueError, OverflowError):
        raise fail(field, "Give a time as YYYY-MM-DD HH:MM (UTC).") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class Period:
    start: datetime
    end: datetime  # exclusive
    day: date | None  # set when the period is exactly one calendar day (UTC)


def parse_period(
    *, day: str | None, start: str | None, end: str | None, today: date, epoch: bool = False
) -> Period:
    """History's period: `from`/`to` when either is given (both needed), else `day`, else today."""
    if (start or "").strip() or (end or "").strip():
        errors: list[dict[str, str]] = []
        lo = hi = None
        try:
            lo = parse_moment(start, field="from", epoch=epoch)
        except ValidationFailed as exc:
            errors += exc.errors
        try:
            hi = parse_moment(end, field="to", end_of_day=True, epoch=epoch)
        except ValidationFailed as exc:
            errors += exc.errors
        if not errors and lo is None:
            errors.append({"field": "from", "message": "Give the start of the range too."})
        if not errors and hi is None:
            errors.append({"field": "to", "message": "Give the end of the range too."})
        if errors:
            raise ValidationFailed(errors)
        assert lo is not None
        assert hi is not None
        if hi <= lo:
            raise fail("to", "The end must be after the start.")
        if hi - lo > MAX_RANGE:
            raise fail("to", f"Show at most {MAX_RANGE.days} days at a time.")
        return Period(start=lo, end=hi, day=None)
    chosen = parse_day(day) or today
    lo = datetime.combine(chosen, time(0), tzinfo=UTC)
    return Period(start=lo, end=lo + timedelta(days=1), day=chosen)


def parse_disposition(value: str | None, *, field: str = "disposition") -> str | None:
    text = (value or "").strip()
    if not text or text == "any":
        return None
    if text == "open" or text in DISPOSITIONS:
        return text
    raise fail(field, f"Unknown disposition {text[:40]!r}: use one of {', '.join(DISPOSITIONS)} or open.")


def parse_limit(value: str | None, *, field: str = "limit") -> int:
    text = (value or "").strip()
    if not text:
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise fail(field, f"Give a whole number from 1 to {MAX_LIMIT}.")
    return int(text)


def parse_cursor(value: str | None, *, field: str = "before") -> tuple[datetime, str] | None:
    """`<start in epoch microseconds>:<call id>` (what `cursor_of` makes)."""
    text = (value or "").strip()
    if not text:
        return None
    micros, sep, call_id = text.partition(":")
    if not sep or not micros.isdigit() or not call_id:
        raise fail(field, "This page link is damaged: start again from the newest calls.")
    return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), call_id


def cursor_of(record: CallRecord) -> str:
    return f"{round((record.start or 0.0) * 1_000_000)}:{record.call_id}"


# --- output --------------------------------------------------------------------------------------


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def call_detail_json(record: CallRecord, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The CallSummary plus every other CDR field."""
    return {
        **summary,
        "uri": record.uri,
        "path": list(record.path),
        "duration": record.duration,
        "block": record.block,
        "reason": record.reason,
        "origin_state": record.origin_state,
        "origin_lata": record.origin_lata,
        "element": record.element,
        "received_at": record.received_at,
    }


def vector_json(vector: Sequence[int], derived: Mapping[str, float | None]) -> dict[str, Any]:
    return {**{name: int(vector[i]) for i, name in enumerate(FIELDS)}, **derived}


CALL_CSV_COLUMNS = (
    "call_id", "number", "customer_id", "ani", "site", "destination", "uri", "carrier", "version",
    "path", "start", "answer", "end", "duration", "billable", "disposition", "sip_code", "q850",
    "block", "reason", "account_code", "origin_state", "origin_lata", "element", "call_class",
)  # fmt: skip


def csv_cell(value: Any) -> str:
    """Text for a spreadsheet: formula-looking text gets a leading `'` (plain numbers such as
    +18005550100 stay as they are)."""
    if value is None:
        return ""
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not PLAIN_NUMBER_RE.match(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def call_csv_row(record: CallRecord) -> list[Any]:
    return [
        record.call_id, record.number, record.customer_id, record.ani, record.site,
        record.destination, record.uri, record.carrier, record.version, " ".join(record.path),
        iso(record.start), iso(record.answer), iso(record.end), record.duration, record.billable,
        record.disposition, record.sip_code, record.q850, record.block, record.reason,
        record.account_code, record.origin_state, record.origin_lata, record.element, record.call_class,
    ]  # fmt: skip


# --- whole queries (every field checked; all errors at once) -------------------------------------


@dataclass(frozen=True, kw_only=True)
class CallQuery:
    number: str | None = None  # a toll-free number or an outbound line
    disposition: str | None = None  # a DISPOSITIONS value, "open", or None = any
    call_class: str | None = None  # outbound calls of this calling class; None = any call
    start: datetime | None = None  # seizure ≥ start
    end: datetime | None = None  # seizure < end
    limit: int = DEFAULT_LIMIT
    before: tuple[datetime, str] | None = None


def _collect(errors: list[dict[str, str]], parse: Any, *args: Any, **kw: Any) -> Any:
    try:
        return parse(*args, **kw)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None


def parse_call_query(params: Mapping[str, str], *, epoch: bool = False) -> CallQuery:
    """`number`, `disposition`, `class`, `from`, `to` (a date `to` includes that day), `limit`,
    `before`."""
    errors: list[dict[str, str]] = []
    raw_number = (params.get("number") or "").strip()
    number = _collect(errors, parse_number, raw_number) if raw_number else None
    disposition = _collect(errors, parse_disposition, params.get("disposition"))
    call_class = _collect(errors, parse_call_class, params.get("class"))
    start = _collect(errors, parse_moment, params.get("from"), field="from", epoch=epoch)
    end = _collect(errors, parse_moment, params.get("to"), field="to", end_of_day=True, epoch=epoch)
    limit = _collect(errors, parse_limit, params.get("limit"))
    before = _collect(errors, parse_cursor, params.get("before"))
    if start is not None and end is not None and end <= start:
        errors.append({"field": "to", "message": "The end must be after the start."})
    if errors:
        raise ValidationFailed(errors)
    return CallQuery(
        number=number,
        disposition=disposition,
        call_class=call_class,
        start=start,
        end=end,
        limit=limit,
        before=before,
    )


def parse_history_query(params: Mapping[str, str], *, today: date, epoch: bool = False) -> tuple[str, Period]:
    """`select`, and `day` or `from` + `to`."""
    errors: list[dict[str, str]] = []
    selection = _collect(errors, parse_selection, params.get("select"))
    period = _collect(
        errors,
        parse_period,
        day=params.get("day"),
        start=params.get("from"),
        end=params.get("to"),
        today=today,
        epoch=epoch,
    )
    if errors:
        raise ValidationFailed(errors)
    return selection, period
