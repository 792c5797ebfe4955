"""The traffic resource's API contract: pydantic models of every JSON operation (customer and
network plane). The routes keep their own parsers and error sentences; this is where the shapes
are described. Metric vectors (offered, answered, … asr, acd) are open objects of numbers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from resources.kit.openapi import Contract, op
from resources.traffic.manifest import MANIFEST
from resources.traffic.schemas import MAX_LIMIT

SELECT = "`all`, `customer:<id>`, `number:<E.164>` or `site:<customer id>/<name>`"
MOMENT = "UTC: YYYY-MM-DD, YYYY-MM-DDTHH:MM, ISO 8601 with an offset, or epoch seconds"


class Selection(BaseModel):
    value: str
    label: str


class Metrics(BaseModel):
    """Counters of a period (offered, answered, busy, … talk seconds) and the derived metrics
    (asr, ner, acd, tta; null when undefined)."""

    model_config = ConfigDict(extra="allow")


class Bucket(Metrics):
    start: str
    peak_concurrent: int


class Totals(Metrics):
    peak_concurrent: int


class History(BaseModel):
    selection: Selection
    from_: str = Field(alias="from")
    to: str
    bucket_seconds: int
    items: list[Bucket]
    totals: Totals


class CallSummary(BaseModel):
    call_id: str
    number: str = Field(description="The dialled toll-free number, or an outbound call's calling line")
    customer_id: str
    ani: str | None
    site: str | None
    destination: str | None
    carrier: str | None
    version: int | None
    start: float
    answer: float | None
    end: float | None
    disposition: str | None
    sip_code: int | None
    q850: int | None
    billable: float | None
    call_class: str | None = Field(
        description="Outbound calls: the calling class (international, local, …); null otherwise"
    )
    account_code: str | None
    updated: float


class CallDetail(CallSummary):
    uri: str | None
    path: list[Any]
    duration: float | None
    block: str | None
    reason: str | None
    origin_state: str | None
    origin_lata: str | None
    element: str | None
    received_at: float | None


class CallPage(BaseModel):
    items: list[CallSummary]
    next: str | None = Field(description="Pass as `before` for the next page; null on the last")


class Live(BaseModel):
    selection: Selection
    window: int
    now: float
    totals: dict[str, Any]


class IngestStats(BaseModel):
    model_config = ConfigDict(extra="allow")


class SelectQuery(BaseModel):
    select: str | None = Field(default=None, description=SELECT)


class HistoryQuery(SelectQuery):
    day: str | None = Field(default=None, description="One UTC day, YYYY-MM-DD (instead of from/to)")
    from_: str | None = Field(default=None, alias="from", description=MOMENT)
    to: str | None = Field(default=None, description=MOMENT)


class CallQuery(BaseModel):
    number: str | None = Field(default=None, description="A toll-free number or an outbound line (E.164)")
    disposition: str | None = Field(default=None, description="answered, busy, no-answer, failed, …")
    class_: str | None = Field(
        default=None, alias="class", description="Outbound calls of this calling class (international, …)"
    )
    from_: str | None = Field(default=None, alias="from", description=MOMENT)
    to: str | None = Field(default=None, description=MOMENT + " (a date includes that day)")
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT, description="Rows per page (default 50)")
    before: str | None = Field(default=None, description="The `next` cursor of the previous page")


class Rejection(BaseModel):
    index: int | None
    reason: str
    field: str | None
    message: str


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejection]


class EventBatch(BaseModel):
    """Call events or CDRs from a network element (see resources/traffic/README.md for the record
    fields): one object or a list of them."""

    model_config = ConfigDict(extra="allow")


class NetworkStatus(BaseModel):
    ingest: dict[str, Any]
    numbers: int
    live: dict[str, Any]


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op("GET", "/api/live", "Totals of the live window", query=SelectQuery, responses={200: Live}),
        op(
            "GET",
            "/api/buckets",
            "5-minute history of a selection",
            query=HistoryQuery,
            responses={200: History},
            description="Add `format=csv` to download the buckets as text/csv.",
        ),
        op(
            "GET",
            "/api/calls",
            "Call records, newest first, a page at a time",
            query=CallQuery,
            responses={200: CallPage},
            description="Add `format=csv` to download every match as text/csv.",
        ),
        op(
            "GET", "/api/calls/{call_id}", "One call record with every CDR field", responses={200: CallDetail}
        ),
        op("GET", "/api/ingest", "Ingest health per network element (staff)", responses={200: IngestStats}),
        op(
            "POST",
            "/network/events",
            "Report call events and CDRs (a network element)",
            plane="network",
            body=EventBatch,
            responses={200: IngestResult},
        ),
        op("GET", "/network/status", "What ingest has done", plane="network", responses={200: NetworkStatus}),
    ),
)
