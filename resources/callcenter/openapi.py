"""The callcenter resource's API contract: pydantic models of every JSON operation. The routes
keep their own parsers and error sentences (hours.py, distribution.py, sites.py); this is where
the shapes are described."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from resources.callcenter.manifest import MANIFEST
from resources.kit.openapi import Contract, Operation, op

MOMENT = "ISO 8601 with an offset, e.g. 2026-12-24T15:00:00Z (years 2000 … 2100)"
CUSTOMER = "The customer (provider staff); a customer's users leave it out"


class Hours(BaseModel):
    zone: str = Field(description="IANA time zone, e.g. America/New_York")
    weekly: dict[str, list[str]] = Field(
        description='mon … sun → ["HH:MM-HH:MM", …]; a day left out is closed; 22:00-06:00 runs past midnight'
    )
    closures: list[dict[str, str]] = Field(
        default_factory=list, description="[{from, to, reason}], local YYYY-MM-DDTHH:MM, to excluded"
    )


class Site(BaseModel):
    name: str = Field(description="1-32 lowercase letters, digits or dashes")
    uri: str = Field(description="sip:host:port, optionally ;transport=udp or tcp")
    capacity: int = Field(ge=0, le=100_000, description="Agents or trunks")
    hours: Hours | None = Field(default=None, description="Left out: always open")
    description: str = ""


class SitePut(Site):
    effective_at: str | None = Field(
        default=None, description="When it takes effect (default now). " + MOMENT
    )


class Member(BaseModel):
    site: str
    share: int = Field(default=1, description="percent: 1-100, totals 100; weighted: 1-1000; else leave out")


class Treatment(BaseModel):
    kind: Literal["announcement", "ring-to", "voicemail"]
    target: str = Field(description="Announcement name, E.164 number or voicemail site")


class Distribution(BaseModel):
    name: str
    method: Literal["percent", "weighted", "least-busy", "longest-idle"]
    members: list[Member]
    overflow: list[str] = Field(default_factory=list)
    after_hours: Treatment | None = None
    all_busy: Treatment | None = None


class DistributionPut(Distribution):
    effective_at: str | None = Field(
        default=None, description="When it takes effect (default now). " + MOMENT
    )


class Listing(BaseModel):
    customer: str
    at: str
    items: list[dict[str, Any]] = Field(description="Each site or distribution in effect at `at`")


class Revision(BaseModel):
    number: int
    effective_at: str
    document: dict[str, Any] | None = Field(description="null: this revision removes it")
    cancelled: bool
    created_at: str
    created_by: str


class Revisions(BaseModel):
    items: list[Revision]


class AuditEntry(BaseModel):
    at: str
    actor: str
    action: str
    kind: str
    name: str
    revision: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Audit(BaseModel):
    items: list[AuditEntry]


class CustomerQuery(BaseModel):
    customer: str | None = Field(default=None, description=CUSTOMER)


class AtQuery(CustomerQuery):
    at: str | None = Field(default=None, description="In effect when (default now). " + MOMENT)


class EffectiveQuery(CustomerQuery):
    effective_at: str | None = Field(default=None, description="From when (default now). " + MOMENT)


class AuditQuery(CustomerQuery):
    limit: int | None = Field(default=None, ge=1, le=100, description="Rows (default 100)")


def _kind_ops(kind: str, one: str, put: type[BaseModel]) -> list[Operation]:
    base = f"/api/{kind}"
    return [
        op("GET", base, f"The {kind} in effect at an instant", query=AtQuery, responses={200: Listing}),
        op(
            "PUT",
            f"{base}/{{name}}",
            f"Create or change a {one}, now or from a later time",
            query=CustomerQuery,
            body=put,
            responses={200: Revision, 201: Revision},
        ),
        op(
            "DELETE",
            f"{base}/{{name}}",
            f"Remove a {one}, now or from a later time",
            query=EffectiveQuery,
            responses={200: Revision},
        ),
        op(
            "GET",
            f"{base}/{{name}}/revisions",
            f"Every revision of a {one}",
            query=CustomerQuery,
            responses={200: Revisions},
        ),
        op(
            "POST",
            f"{base}/{{name}}/revisions/{{number}}/cancel",
            "Cancel a revision that has not taken effect",
            query=CustomerQuery,
            responses={200: Revision},
        ),
        op(
            "POST",
            f"{base}/{{name}}/revisions/{{number}}/rollback",
            "Restore a revision's configuration, effective now (a new revision)",
            query=CustomerQuery,
            responses={200: Revision},
        ),
    ]


class Overflowed(BaseModel):
    """Calls the router sent past the site over the last 15 minutes, by why."""

    total: int
    closed: int
    at_capacity: int
    not_answering: int


class SiteNow(BaseModel):
    site: str
    open: bool = Field(description="By its hours and closures, now")
    capacity: int
    live: int = Field(description="Calls up now (traffic's reports plus the router's unreported offers)")
    occupancy: float | None = Field(description="live ÷ capacity; null for capacity 0")
    overflowed: Overflowed
    overflow_received: int = Field(
        description="Calls it took first over the last 15 minutes because other sites were passed by"
    )
    traffic: str = Field(description="Selection of the traffic live view for offered / answered / ASA")


class Live(BaseModel):
    customer: str
    sites: list[SiteNow]


class RouteRequest(BaseModel):
    """A toll-free call that reached a distribution (the SCP's `switchboard.callcenter`)."""

    customer: str
    distribution: str = Field(description="The distribution's name, like main")
    dnis: str = Field(description="The dialled toll-free number (the route URIs' user part)")
    callid: str | None = None
    ts: float | None = Field(default=None, description="Epoch seconds (hours are read then); null: now")
    ring_timeout: int = Field(default=20, ge=5, le=120, description="Seconds each site may ring")
    number: str | None = Field(default=None, description="Echoed in switchboard (the SCP's)")
    version: int | None = Field(default=None, ge=1, description="Echoed in switchboard (the SCP's)")
    path: str | None = Field(default=None, description="Echoed in switchboard (the SCP's)")
    carrier: str | None = Field(default=None, description="Echoed in switchboard (the SCP's)")


class RouteFormat(BaseModel):
    format: Literal["json", "rtjson"] | None = Field(default=None, description="rtjson: Kamailio rtjson")


class RouteAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op(
            "GET",
            "/api/audit",
            "Changes to sites and distributions, newest first",
            query=AuditQuery,
            responses={200: Audit},
        ),
        op(
            "GET",
            "/api/live",
            "Each site now: open, capacity, live calls, occupancy",
            query=CustomerQuery,
            responses={200: Live},
        ),
        *_kind_ops("sites", "site", SitePut),
        *_kind_ops("distributions", "distribution", DistributionPut),
        op(
            "POST",
            "/network/route",
            "The sites, in order, for a toll-free call that reached a distribution (the switch)",
            plane="network",
            body=RouteRequest,
            query=RouteFormat,
            responses={200: RouteAnswer},
        ),
    ),
)
