"""The traffic resource's shared vocabulary: what ingest produces, what the store keeps, what the
live view and the history add up. Types only (no I/O, no logic beyond trivial helpers); every
other module codes against these (docs/traffic-contracts.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

EventKind = Literal["routed", "answered", "ended", "failed", "cdr"]
EVENT_KINDS: tuple[EventKind, ...] = ("routed", "answered", "ended", "failed", "cdr")
# A call's `seen` bitmask: which kinds of report arrived (idempotency by call id + event type).
KIND_BIT: dict[str, int] = {"routed": 1, "answered": 2, "ended": 4, "failed": 8, "cdr": 16}

Disposition = Literal[
    "answered",  # complete
    "short",  # caller hung up within 12 s of ringing
    "abandoned",  # "didn't wait": caller hung up after 12-24 s of ringing
    "no_answer",  # "didn't answer": rang > 24 s, or 408/480 from the destination
    "busy",  # 486/600 user busy
    "all_trunks_busy",  # 503 / Q.850 34: the site is full
    "blocked",  # by the routing plan, network reject, switch control, payphone block or call policy
    "failed",  # anything else (5xx, timeouts, lost events)
]
DISPOSITIONS: tuple[Disposition, ...] = (
    "answered",
    "short",
    "abandoned",
    "no_answer",
    "busy",
    "all_trunks_busy",
    "blocked",
    "failed",
)
# "policy": an outbound call the customer's calling policy denied (class not allowed, 403)
BlockReason = Literal["plan", "network", "switch", "payphone", "policy"]

# Counter fields, in this order everywhere (bus payloads, live slots, bucket columns, ws frames).
# offered/starts at the seizure second; answered/tta_ms at the answer second; the disposition
# counter (short…failed, answered is counted at answer), talk_seconds and ends at the end second.
FIELDS: tuple[str, ...] = (
    "offered",
    "answered",
    "short",
    "abandoned",
    "no_answer",
    "busy",
    "all_trunks_busy",
    "blocked",
    "failed",
    "talk_seconds",
    "tta_ms",  # sum of (answer - seizure) in milliseconds over answered calls
    "starts",  # calls that began (concurrency +1)
    "ends",  # calls that ended (concurrency -1)
)
FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(FIELDS)}
NFIELDS = len(FIELDS)
# Which counter a final disposition increments ("answered" is counted when the call is answered).
FINAL_FIELD: dict[str, str | None] = {
    "answered": None,
    "short": "short",
    "abandoned": "abandoned",
    "no_answer": "no_answer",
    "busy": "busy",
    "all_trunks_busy": "all_trunks_busy",
    "blocked": "blocked",
    "failed": "failed",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """One report about one call, normalised from any wire shape (HTTP JSON, acc_json, evapi)."""

    call_id: str
    kind: EventKind
    ts: float  # epoch seconds the reported thing happened (routed: seizure; answered; ended/failed/cdr: end)
    element: str  # the reporting network element, from its credential (never from the body)
    # the dialled toll-free number, E.164 ("+18005550100"); for an outbound call (`outbound`) the
    # customer's calling line ("+13125550142")
    number: str
    ani: str | None = None  # caller, E.164
    site: str | None = None  # the customer's site name ("east") the call went to, if a site
    destination: str | None = None  # the SCP's dest: "site:east", "+13125550100", "carrier:0288"
    uri: str | None = None  # where the switch sent it
    carrier: str | None = None  # CIC ("0288")
    version: int | None = None  # routing plan version that answered the SCP query
    path: tuple[str, ...] = ()  # node ids through the plan tree ("M", "M.0", …)
    start: float | None = None  # seizure (when known on ended/failed/cdr)
    answer: float | None = None  # answer (when known)
    end: float | None = None  # end (ended/failed/cdr)
    sip_code: int | None = None  # final SIP code
    q850: int | None = None  # Q.850 cause (derived from sip_code when absent)
    block: BlockReason | None = None  # set when the call was blocked (not routed)
    account_code: str | None = None
    origin_state: str | None = None
    origin_lata: str | None = None
    reason: str | None = None  # SIP reason phrase / SCP reason text
    call_class: str | None = None  # outbound: the calling class ("international", "local", …)
    outbound: bool = False  # the record named a calling `line` (an outbound call), not a `dnis`


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """A record (or request) ingest refused, with a sentence saying why."""

    index: int | None  # position in the batch; None = the whole request
    reason: Literal["malformed", "invalid", "unknown-number", "too-large"]
    field: str  # "body", "callid", "ts", "dnis", "line", …
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberInfo:
    """Who owns a toll-free number (the toll-free resource's assignment, replicated here) or an
    outbound calling line (the outbound resource's `outbound.lines`, replicated here)."""

    number: str
    customer_id: str
    resellers: tuple[str, ...] = ()  # top-most reseller first; () = the provider's own customer


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteInfo:
    customer_id: str
    name: str
    uri: str


class Key(NamedTuple):
    """The finest grain counters are kept at; every view sums a subset of keys."""

    customer_id: str
    number: str
    site: str  # "" = not a site (ring-to number, carrier hand-off, blocked)
    carrier: str  # "" = none


class Contribution(NamedTuple):
    """`amount` added to counter FIELDS[field] of `key` in epoch second `second`."""

    key: Key
    second: int
    field: int
    amount: int


@dataclass(slots=True, kw_only=True)
class CallRecord:
    """One call as the store keeps it (`traffic_calls`): the CDR once it has ended, the merged
    state of every report before that. `seen` = KIND_BIT of each kind received; `counted` = the
    facets already added to counters (OFFERED, ANSWERED, FINAL)."""

    call_id: str
    customer_id: str
    resellers: tuple[str, ...]
    number: str
    ani: str | None = None
    site: str | None = None
    destination: str | None = None
    uri: str | None = None
    carrier: str | None = None
    version: int | None = None
    path: tuple[str, ...] = ()
    start: float | None = None
    answer: float | None = None
    end: float | None = None
    duration: float | None = None  # end - start (seconds)
    billable: int | None = None  # whole talk seconds, rounded up (end - answer)
    sip_code: int | None = None
    q850: int | None = None
    disposition: Disposition | None = None  # set once the call has ended
    block: BlockReason | None = None
    account_code: str | None = None
    origin_state: str | None = None
    origin_lata: str | None = None
    reason: str | None = None
    call_class: str | None = None  # outbound calls: the calling class
    element: str = ""
    seen: int = 0
    counted: int = 0
    received_at: float = 0.0  # first report (epoch s)
    updated_at: float = 0.0  # last change (epoch s)
    key: Key = field(default_factory=lambda: Key("", "", "", ""))  # grain, fixed at first sight


COUNTED_OFFERED = 1
COUNTED_ANSWERED = 2
COUNTED_FINAL = 4
