"""The tickets resource's API contract: pydantic models of every JSON operation (TMF621 v4
TroubleTicket). The routes keep their own parsers and error sentences (documents.py); this is
where the shapes are described."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from resources.kit.openapi import Contract, op
from resources.tickets.manifest import MANIFEST, TMF

Severity = Literal["critical", "major", "minor", "low"]
TicketType = Literal["trouble", "inquiry", "request"]
Status = Literal[
    "acknowledged", "inProgress", "pending", "held", "resolved", "closed", "rejected", "cancelled"
]
STATUS_HELP = "Comma-separated statuses"


class ListQuery(BaseModel):
    status: str | None = Field(default=None, description=STATUS_HELP)
    severity: str | None = Field(default=None, description="Comma-separated: critical, major, minor, low")
    ticketType: str | None = Field(default=None, description="Comma-separated: trouble, inquiry, request")
    customer: str | None = Field(default=None, description="Staff: one customer's tickets")
    assignedTo: str | None = Field(default=None, description="A staff user's login name; none: unassigned")
    fields: str | None = Field(
        default=None, description="Comma-separated attributes to return (id, href always)"
    )
    offset: int | None = Field(default=None, ge=0, description="Skip this many (default 0)")
    limit: int | None = Field(default=None, ge=1, le=200, description="At most this many (default 50)")


class QueueQuery(BaseModel):
    status: str | None = Field(default=None, description=f"{STATUS_HELP} (default the open ones)")
    customer: str | None = None
    assignedTo: str | None = Field(default=None, description="A staff user's login name; none: unassigned")
    q: str | None = Field(default=None, description="Text in the subject or description")
    offset: int | None = Field(default=None, ge=0)
    limit: int | None = Field(default=None, ge=1, le=200)


class CreateQuery(BaseModel):
    customer: str | None = Field(default=None, description="Staff: the customer (or relatedParty)")


class FieldsQuery(BaseModel):
    fields: str | None = Field(default=None, description="Comma-separated attributes to return")


class RelatedEntity(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    role: Literal["alarm", "number", "site", "call", "order"]
    id: str = Field(description="Alarm id, E.164 number, site id, call id or order id")
    referredType: str = Field(alias="@referredType", description="Alarm, TollFreeNumber, Site, Call, Order…")


class RelatedParty(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    role: str = Field(description="customer")
    referredType: str | None = Field(default=None, alias="@referredType")


class Channel(BaseModel):
    id: Literal["portal", "api", "alarm", "chat"]
    name: Literal["portal", "api", "alarm", "chat"]


class TicketCreate(BaseModel):
    name: str = Field(description="The subject (1-200 characters)")
    description: str = Field(description="What is wrong (1-5000 characters)")
    severity: Severity
    ticketType: TicketType = "trouble"
    channel: Channel | Literal["portal", "api", "alarm", "chat"] | None = Field(
        default=None, description="Default api (alarm when a relatedEntity is an alarm)"
    )
    relatedEntity: list[RelatedEntity] = Field(default_factory=list, max_length=20)
    relatedParty: list[RelatedParty] | None = Field(default=None, description="Staff: the customer")
    requestedResolutionDate: str | None = Field(default=None, description="RFC 3339")


class NoteIn(BaseModel):
    text: str
    internal: bool = Field(default=False, description="Staff only; customers never see it")


class TicketPatch(BaseModel):
    status: Status | None = Field(default=None, description="Moved through the lifecycle table")
    statusChangeReason: str | None = None
    note: NoteIn | list[NoteIn] | None = Field(default=None, description="Appended")
    severity: Severity | None = Field(default=None, description="Staff only; the due time follows")
    assignedTo: str | None = Field(default=None, description="Staff only; null unassigns")


class Note(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    author: str
    date: str
    text: str
    type_: str = Field(alias="@type")
    internal: bool | None = None


class Quantity(BaseModel):
    amount: int
    units: str


class Attachment(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    name: str
    mimeType: str
    size: Quantity
    url: str
    type_: str = Field(alias="@type")


class StatusChange(BaseModel):
    status: Status
    changeDate: str
    changeReason: str | None = Field(default=None, description="Left out when none was given")


class Ticket(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="T-000123")
    href: str
    type_: str = Field(alias="@type")
    name: str
    description: str
    severity: Severity
    ticketType: TicketType
    status: Status
    statusChangeReason: str | None = Field(
        default=None, description="Left out until a status change gives one"
    )
    channel: Channel
    relatedEntity: list[RelatedEntity]
    relatedParty: list[RelatedParty]
    requestedResolutionDate: str | None = Field(default=None, description="Left out unless asked for")
    expectedResolutionDate: str = Field(description="When the SLA is due")
    resolutionDate: str | None = Field(default=None, description="Left out until resolved")
    closedDate: str | None = Field(default=None, description="Left out until closed")
    creationDate: str
    lastUpdate: str
    assignedTo: str | None = Field(default=None, description="Left out while nobody is assigned")
    slaState: Literal["ok", "warning", "breached"]
    note: list[Note] | None = Field(default=None, description="The single GET")
    attachment: list[Attachment] | None = Field(default=None, description="The single GET")
    statusChange: list[StatusChange] | None = Field(default=None, description="The single GET")


class TicketItem(BaseModel):
    """A ticket in a list: the Ticket's attributes (those `fields=` names), id, href and @type
    always; notes, attachments and status changes only in the single GET."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str
    href: str
    type_: str = Field(alias="@type")


class TicketList(RootModel[list[TicketItem]]):
    """A JSON array of tickets; headers X-Total-Count and X-Result-Count."""


class UploadBody(BaseModel):
    file: bytes = Field(description="PNG, JPEG, PDF, plain text or CSV; at most 5 MB")


class BulkBody(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=100)
    assignedTo: str | None = None
    status: Status | None = None
    statusChangeReason: str | None = None


class BulkAnswer(BaseModel):
    items: list[Ticket]


class ChatMessage(BaseModel):
    id: int
    author: str = Field(description="The login name")
    author_kind: Literal["customer", "staff"]
    name: str = Field(description="The name shown")
    text: str = Field(description="1-2000 characters")
    at: str = Field(description="RFC 3339, UTC")


class Transcript(BaseModel):
    ticket: str = Field(description="T-000123")
    messages: list[ChatMessage] = Field(description="Oldest first; the live chat is WS /tickets/{id}/chat/ws")


class Binary(BaseModel):
    """The file's bytes (Content-Disposition: attachment)."""

    model_config = ConfigDict(extra="allow")


ONE: dict[int, type[BaseModel] | None] = {200: Ticket}


CONTRACT = Contract(
    manifest=MANIFEST,
    operations=(
        op(
            "GET",
            TMF,
            "Trouble tickets you can see, newest first",
            query=ListQuery,
            responses={200: TicketList},
        ),
        op(
            "POST",
            TMF,
            "Open a trouble ticket",
            query=CreateQuery,
            body=TicketCreate,
            responses={201: Ticket},
        ),
        op(
            "GET",
            TMF + "/{id}",
            "A trouble ticket with notes, attachments and status changes",
            query=FieldsQuery,
            responses=ONE,
        ),
        op(
            "PATCH",
            TMF + "/{id}",
            "Change a ticket: status, note, severity, assignedTo (merge patch; If-Match)",
            body=TicketPatch,
            responses=ONE,
        ),
        op(
            "POST",
            "/api/troubleTicket/{id}/attachment",
            "Attach a file",
            body=UploadBody,
            body_media="multipart/form-data",
            responses={201: Attachment},
        ),
        op(
            "GET",
            "/api/troubleTicket/{id}/attachment/{aid}",
            "Download an attachment",
            responses={200: Binary},
        ),
        op(
            "GET",
            "/api/troubleTicket/{id}/chat",
            "The ticket's chat transcript",
            responses={200: Transcript},
        ),
        op(
            "GET",
            "/api/queue",
            "The staff queue, soonest due first",
            query=QueueQuery,
            responses={200: TicketList},
        ),
        op(
            "POST",
            "/api/queue/bulk",
            "Assign or move many tickets, all or nothing",
            body=BulkBody,
            responses={200: BulkAnswer},
        ),
    ),
)
