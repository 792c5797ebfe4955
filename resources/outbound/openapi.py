"""The outbound resource's API contract: pydantic models of every JSON operation. The routes keep
their own parsers and error sentences (policy.py, documents.py, codes.py); this is where the
shapes are described."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from resources.kit.hours import WEEKDAYS
from resources.kit.openapi import Contract, Operation, op
from resources.outbound.classes import CallingClass
from resources.outbound.manifest import KINDS, MANIFEST

CUSTOMER = "The customer (provider staff); a customer's users leave it out"
CLASSES = ", ".join(c.value for c in CallingClass)


class CustomerQuery(BaseModel):
    customer: str | None = Field(default=None, description=CUSTOMER)


class AuditQuery(CustomerQuery):
    limit: int | None = Field(default=None, ge=1, le=100, description="Rows (default 100)")


class Countries(BaseModel):
    allow: list[str] = Field(
        default_factory=list, description="ISO codes; non-empty: international calls only to these"
    )
    deny: list[str] = Field(default_factory=list, description="ISO codes never called (wins over allow)")


class Caps(BaseModel):
    minutes_per_day: int | None = None
    minutes_per_month: int | None = None
    spend_per_day: int | None = Field(default=None, description="Minor units")
    spend_per_month: int | None = Field(default=None, description="Minor units")


class Policy(BaseModel):
    name: str = Field(
        description="1-40 lowercase letters, digits or dashes; `default` applies to lines without one"
    )
    classes: list[str] = Field(
        description=f"Allowed calling classes ({CLASSES}); emergency is always allowed"
    )
    countries: Countries = Field(default_factory=Countries)
    hours: dict[str, Any] | None = Field(
        default=None,
        description=f"When the line may dial: {{zone, weekly: {{{', '.join(WEEKDAYS)}: [HH:MM-HH:MM]}}}}",
    )
    caps: Caps = Field(default_factory=Caps)
    account_code: Literal["none", "optional", "forced"] = "none"


class Group(BaseModel):
    name: str
    policy: str
    description: str = ""


class Line(BaseModel):
    number: str = Field(description="E.164: the line's identity at the switch")
    label: str = ""
    user_id: str | None = Field(default=None, description="The directory user the line belongs to")
    group: str | None = None
    policy: str | None = Field(default=None, description="Its own policy (else the group's, else default)")
    elevated: str | None = Field(default=None, description="The policy its authorization code lifts it to")


class AccountCode(BaseModel):
    code: str = Field(description="4 to 12 digits")
    description: str = ""


class CodeBody(BaseModel):
    code: str = Field(description="4 to 12 digits; not one digit repeated or a straight run")


class Config(BaseModel):
    customer: str
    policies: list[Policy]
    groups: list[Group]
    lines: list[dict[str, Any]] = Field(
        description="Each line, its effective_policy and authorization_code state"
    )
    account_codes: list[AccountCode]


class Document(BaseModel):
    model_config = {"extra": "allow"}


class AuditEntry(BaseModel):
    at: str
    actor: str
    action: str
    kind: str
    name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Audit(BaseModel):
    items: list[AuditEntry]


class DecideRequest(BaseModel):
    caller: str = Field(description="The calling line's number (E.164 or NANP 10/11 digits)")
    dialled: str = Field(description="The request-URI user part")
    callid: str | None = None
    ts: float | None = Field(default=None, description="Epoch seconds (hours are read then); null: now")
    auth_code: str | None = Field(default=None, description="Digits keyed as the authorization code")
    account_code: str | None = Field(default=None, description="Digits keyed as the account code")


class DecideAnswer(BaseModel):
    outcome: Literal["allow", "deny", "collect-code"]
    code: int = Field(description="200 allow, 403 deny, 484 collect a code")
    reason: str
    collect: Literal["authorization", "account"] | None
    class_: str | None = Field(alias="class")
    number: str | None
    country: str | None
    customer: str | None
    line: str | None
    account_code: str | None


BODIES: dict[str, type[BaseModel]] = {
    "policies": Policy,
    "groups": Group,
    "lines": Line,
    "account-codes": AccountCode,
}


def _kind_ops(kind: str) -> list[Operation]:
    one = kind.removesuffix("s").replace("-", " ")
    return [
        op(
            "PUT",
            f"/api/{kind}/{{name}}",
            f"Create or replace a {one}",
            query=CustomerQuery,
            body=BODIES[kind],
            responses={200: Document, 201: Document},
        ),
        op(
            "DELETE",
            f"/api/{kind}/{{name}}",
            f"Delete a {one} (409 while in use)",
            query=CustomerQuery,
            responses={204: None},
        ),
    ]


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op(
            "GET",
            "/api/config",
            "Policies, groups, lines and account codes",
            query=CustomerQuery,
            responses={200: Config},
        ),
        op(
            "GET",
            "/api/audit",
            "Changes to outbound calling, newest first",
            query=AuditQuery,
            responses={200: Audit},
        ),
        *(o for kind in KINDS for o in _kind_ops(kind)),
        op(
            "PUT",
            "/api/lines/{name}/authorization-code",
            "Set a line's authorization code (hashed; the lockout starts over)",
            query=CustomerQuery,
            body=CodeBody,
            responses={204: None},
        ),
        op(
            "DELETE",
            "/api/lines/{name}/authorization-code",
            "Remove a line's authorization code",
            query=CustomerQuery,
            responses={204: None},
        ),
        op(
            "POST",
            "/network/decide",
            "May this outbound call go out (the switch)",
            plane="network",
            body=DecideRequest,
            responses={200: DecideAnswer},
        ),
    ),
)
