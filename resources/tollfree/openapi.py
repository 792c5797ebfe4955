"""The tollfree resource's API contract: pydantic models of every JSON operation (customer plane
and the SCP's network plane). Numbers and templates share their version lifecycle, so their
operations are made by one function. The routes keep their own parsers and error sentences
(for plans the error field is `<node id>:<field>`); routing documents are open objects whose
rules are in resources/tollfree/README.md and checked by the plan validator."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from resources.kit.openapi import Contract, Operation, op
from resources.tollfree.manifest import MANIFEST

Time = str
TFN = {"type": "string", "description": "E.164, e.g. +18005550100 (%2B works)", "minLength": 1}
TEMPLATE = {
    "type": "string",
    "description": "A template name without its star, e.g. EASTWEST",
    "minLength": 1,
}
N = {"type": "integer", "minimum": 1}


class Issue(BaseModel):
    node: str | None
    field: str | None
    message: str


class Event(BaseModel):
    from_: str | None = Field(alias="from")
    to: str
    at: Time | None
    actor: str | None
    session: str | None
    detail: dict[str, Any] | None


class VersionSummary(BaseModel):
    id: str
    target: str
    number: int
    state: str
    effective_at: Time | None
    created_at: Time | None
    created_by: str | None
    activated_at: Time | None
    superseded_at: Time | None
    rolled_back_from: int | None
    note: str | None
    issues: list[Issue]


class Version(VersionSummary):
    document: dict[str, Any] | None
    snapshot: dict[str, Any] | None
    events: list[Event]


class Versions(BaseModel):
    items: list[VersionSummary]


class Number(BaseModel):
    tfn: str
    customer_id: str
    reseller_chain: list[str]
    description: str | None
    active: VersionSummary | None
    pending: list[VersionSummary]
    drafts: list[VersionSummary]


class Numbers(BaseModel):
    items: list[Number]


class Target(BaseModel):
    target: str
    kind: str
    customer_id: str
    description: str | None
    can_edit: bool
    active: Version | None
    pending: list[VersionSummary]
    drafts: list[VersionSummary]
    history: list[VersionSummary]


class Template(BaseModel):
    name: str
    customer_id: str
    description: str | None
    active_version: int | None
    can_edit: bool


class Templates(BaseModel):
    items: list[Template]


class Label(BaseModel):
    customer_id: str
    name: str
    kind: str
    values: list[str]


class Labels(BaseModel):
    items: list[Label]


class Site(BaseModel):
    customer_id: str
    name: str
    uri: str
    description: str | None


class Sites(BaseModel):
    items: list[Site]


class PoolNumber(BaseModel):
    tfn: str
    holder: str
    chain: list[str]
    added_at: Time | None
    added_by: str | None


class Pool(BaseModel):
    items: list[PoolNumber]


class AuditEntry(BaseModel):
    at: Time | None
    actor_id: str | None
    actor_name: str | None
    session: str | None
    customer_id: str | None
    target: str | None
    version: int | None
    action: str
    before: Any
    after: Any


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next: str | None = Field(description="The query string of the next page; null on the last")


class Change(BaseModel):
    node: str | None
    field: str | None
    before: Any
    after: Any


class Diff(BaseModel):
    changes: list[Change]


class Destination(BaseModel):
    dest: str | None
    uri: str | None
    carrier: str | None
    ring_timeout: int | None


class Step(BaseModel):
    node: str | None
    type: str | None
    took: Any


class Simulation(BaseModel):
    model_config = ConfigDict(extra="allow")

    target: str
    version: int | None
    outcome: str
    destinations: list[Destination]
    treatment: str | None
    code: int | None
    reason: str | None
    carrier: str | None
    path: list[Step]


class WhatIf(BaseModel):
    model_config = ConfigDict(extra="allow")

    target: str
    version: int
    calls: int
    changed: int
    rows: list[dict[str, Any]]


class Origin(BaseModel):
    digits10: str | None
    npa: str | None
    nxx: str | None
    npanxx: str | None
    state: str | None
    lata: str | None


class OriginImport(BaseModel):
    rows: int


class NewNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tfn: str = Field(description="E.164")
    customer_id: str
    reseller_chain: list[str] | None = Field(default=None, description="Must equal the directory's")
    description: str | None = None


class NewTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Upper-case letters and digits, without the star")
    description: str | None = None
    customer_id: str | None = None


class LabelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    values: list[str]
    customer_id: str | None = None


class SiteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uri: str = Field(description="sip:host[:port]")
    description: str | None = None


class PoolAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tfn: str
    reseller: str


class PoolAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str
    description: str | None = None


class OriginCsv(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csv: str = Field(description="NPA-NXX,state,LATA rows (or send text/csv)")


class NewVersion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] | None = Field(default=None, description="The routing plan (default: a copy)")
    from_version: int | None = Field(default=None, description="Copy this version")
    note: str | None = Field(default=None, max_length=2000)


class VersionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] | None = None
    note: str | None = Field(default=None, max_length=2000)


class Activate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_at: Time | None = Field(default=None, description="ISO 8601 UTC; absent: now")


class SimulateCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, description="Default: the active version")
    ani: str | None = None
    at: Time | None = None
    call_id: str | None = None


class WhatIfCalls(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    calls: list[dict[str, Any]] = Field(description="[{ani, at}] calls to replay against both versions")


class CustomerQuery(BaseModel):
    customer_id: str | None = Field(default=None, description="Staff: one customer's")


class LookupQuery(BaseModel):
    ani: str | None = Field(default=None, description="The caller's number")


class DiffQuery(BaseModel):
    against: int | None = Field(default=None, ge=1, description="Default: the active version")


class AuditQuery(BaseModel):
    customer: str | None = None
    target: str | None = Field(default=None, description="A number, *TEMPLATE or site:<name>")
    actor: str | None = None
    action: str | None = Field(default=None, description="An action family, e.g. plan or plan.activate")
    since: Time | None = None
    until: Time | None = None
    before: str | None = Field(default=None, description="The cursor of the previous page")
    limit: int | None = Field(default=None, ge=1, le=500)


class RouteQuery(BaseModel):
    """One call's route query from the switch."""

    dnis: str = Field(description="+18005550100, 18005550100 or 8005550100")
    ani: str | None = None
    ts: float | None = Field(default=None, description="Epoch seconds")
    callid: str | None = None


class RouteFormat(BaseModel):
    format: Literal["json", "rtjson"] | None = Field(default=None, description="rtjson: Kamailio rtjson")


class RouteAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")


class ScpStatus(BaseModel):
    model_config = ConfigDict(extra="allow")


def lifecycle(base: str, what: str, param: dict[str, Any], key: str) -> tuple[Operation, ...]:
    """The version lifecycle every routed target has (numbers and templates)."""
    pp = {key: param}
    pn = {key: param, "n": N}
    v = f"{base}/versions/{{n}}"
    return (
        op(
            "GET",
            base,
            f"The {what} with its active, pending and draft versions",
            path_params=pp,
            responses={200: Target},
        ),
        op("GET", f"{base}/versions", f"Versions of the {what}", path_params=pp, responses={200: Versions}),
        op(
            "POST",
            f"{base}/versions",
            "Start a draft",
            body=NewVersion,
            body_required=False,
            path_params=pp,
            responses={201: Version},
        ),
        op("GET", v, "One version with its document and events", path_params=pn, responses={200: Version}),
        op("PUT", v, "Change a draft", body=VersionChange, path_params=pn, responses={200: Version}),
        op(
            "POST",
            f"{v}/edit",
            "Apply one editor change to a draft (htmx fragment)",
            path_params=pn,
            responses={200: None},
            html=True,
        ),
        op(
            "GET",
            f"{v}/dialog",
            "The editor dialog of one node (htmx fragment)",
            path_params=pn,
            responses={200: None},
            html=True,
        ),
        op(
            "GET",
            f"{v}/diff",
            "What a version changes against another",
            query=DiffQuery,
            path_params=pn,
            responses={200: Diff},
        ),
        op(
            "POST",
            f"{v}/activate",
            "Activate now or schedule (effective_at)",
            body=Activate,
            body_required=False,
            path_params=pn,
            responses={200: Version},
        ),
        op("POST", f"{v}/hold", "Hold a scheduled version", path_params=pn, responses={200: Version}),
        op("POST", f"{v}/release", "Release a held version", path_params=pn, responses={200: Version}),
        op(
            "POST",
            f"{v}/cancel",
            "Cancel a draft or a scheduled version",
            path_params=pn,
            responses={200: Version},
        ),
        op(
            "POST",
            f"{v}/rollback",
            "Make an earlier version active again (a new version)",
            path_params=pn,
            responses={201: Version},
        ),
        op(
            "POST",
            f"{base}/simulate",
            "Route one call through a version",
            body=SimulateCall,
            body_required=False,
            path_params=pp,
            responses={200: Simulation},
        ),
        op(
            "POST",
            f"{base}/whatif",
            "Replay calls against a version and the active one",
            body=WhatIfCalls,
            path_params=pp,
            responses={200: WhatIf},
        ),
        op(
            "GET",
            f"{base}/audit",
            f"Audited changes of the {what}",
            path_params=pp,
            responses={200: AuditPage},
        ),
    )


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op("GET", "/api/numbers", "Your toll-free numbers", query=CustomerQuery, responses={200: Numbers}),
        op(
            "POST",
            "/api/numbers",
            "Assign a number to a customer (staff)",
            body=NewNumber,
            responses={201: Number},
        ),
        op(
            "DELETE",
            "/api/numbers/{tfn}",
            "Take a number back (staff)",
            path_params={"tfn": TFN},
            responses={204: None},
        ),
        op(
            "GET", "/api/pool", "Your pool of unassigned numbers (provider, resellers)", responses={200: Pool}
        ),
        op(
            "POST",
            "/api/pool",
            "Put a number in a reseller's pool (provider)",
            body=PoolAdd,
            responses={201: PoolNumber},
        ),
        op(
            "POST",
            "/api/pool/{tfn}/assign",
            "Assign a pool number to a customer below you",
            body=PoolAssign,
            path_params={"tfn": TFN},
            responses={201: Number},
        ),
        op(
            "DELETE",
            "/api/pool/{tfn}",
            "Take a number out of the pool",
            path_params={"tfn": TFN},
            responses={204: None},
        ),
        op(
            "GET",
            "/api/audit",
            "Audited network changes you may read",
            query=AuditQuery,
            responses={200: AuditPage},
        ),
        op("GET", "/api/templates", "Routing templates", query=CustomerQuery, responses={200: Templates}),
        op(
            "POST", "/api/templates", "Create a routing template", body=NewTemplate, responses={201: Template}
        ),
        op(
            "GET",
            "/api/labels",
            "Labels (named value lists for decisions)",
            query=CustomerQuery,
            responses={200: Labels},
        ),
        op(
            "PUT",
            "/api/labels/{name}",
            "Create or change a label",
            body=LabelBody,
            path_params={"name": {"type": "string", "minLength": 1}},
            responses={200: Label},
        ),
        op(
            "DELETE",
            "/api/labels/{name}",
            "Delete a label",
            query=CustomerQuery,
            path_params={"name": {"type": "string", "minLength": 1}},
            responses={204: None},
        ),
        op(
            "GET",
            "/api/sites",
            "Call-center sites (SIP destinations)",
            query=CustomerQuery,
            responses={200: Sites},
        ),
        op(
            "PUT",
            "/api/sites/{customer_id}/{name}",
            "Create or change a site",
            body=SiteBody,
            responses={200: Site},
        ),
        op("DELETE", "/api/sites/{customer_id}/{name}", "Delete a site", responses={204: None}),
        op(
            "POST",
            "/api/origin/import",
            "Import the NPA-NXX → state/LATA table",
            body=OriginCsv,
            responses={200: OriginImport},
            description='Send JSON {"csv": …} or the CSV itself as text/csv.',
        ),
        op(
            "GET",
            "/api/origin/lookup",
            "Where a caller's number is from",
            query=LookupQuery,
            responses={200: Origin},
        ),
        *lifecycle("/api/numbers/{tfn}", "number", TFN, "tfn"),
        *lifecycle("/api/templates/{name}", "template", TEMPLATE, "name"),
        op(
            "POST",
            "/network/route",
            "The per-call route query (the switch)",
            plane="network",
            body=RouteQuery,
            query=RouteFormat,
            responses={200: RouteAnswer},
        ),
        op("GET", "/network/status", "What the SCP serves", plane="network", responses={200: ScpStatus}),
    ),
)
