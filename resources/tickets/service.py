"""tickets service: open, read, list, patch (status through the lifecycle table, notes,
severity, assignment), attachments and the staff queue's bulk update.

Each function takes the transaction and the caller and asks `access` first: 404 for a ticket the
caller may not see, 403 for a change it may not make, 409 for a move the lifecycle refuses, 412
for a stale `If-Match`, 422 for a bad field. Every change is a history row (lifecycle.record) and
`tickets.changed` after commit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import FieldError, ProblemError
from resources.tickets import access
from resources.tickets import repository as repo
from resources.tickets.attachments import Upload
from resources.tickets.context import Tx
from resources.tickets.documents import ABSENT, NoteIn, Patch, parse_bulk, parse_new, parse_patch
from resources.tickets.lifecycle import ACKNOWLEDGED, FINAL, Actor, record, transition
from resources.tickets.models import AttachmentRow, HistoryRow, NoteRow, TicketRow
from resources.tickets.repository import Filter
from resources.tickets.sla import due_at


@dataclass(frozen=True)
class Detail:
    ticket: TicketRow
    notes: list[NoteRow]
    attachments: list[AttachmentRow]
    history: list[HistoryRow]


def sees_internal(caller: Caller) -> bool:
    return access.is_staff(caller) and caller.has(access.VIEW)


def _tenancy(tx: Tx) -> Any:
    return tx.ctx.tenancy.current


async def create(
    tx: Tx, *, caller: Caller, raw: dict[str, Any], channel: str, customer: str | None
) -> TicketRow:
    """Open a ticket (status acknowledged; due by the severity's SLA). `customer`: the one the
    request named (`?customer=`); the body's relatedParty customer counts too; a customer's
    users open their own company's tickets."""
    new = parse_new(raw)
    named = new.customer or customer
    if caller.customer_id is not None and named not in (None, caller.customer_id):
        raise FieldError("relatedParty", "you can open tickets for your own company only").problem()
    target = caller.customer_id or named
    if target is None:
        raise FieldError("relatedParty", 'name the customer: {"role": "customer", "id": …}').problem()
    access.require_open(caller, target, tenancy=_tenancy(tx))
    if caller.customer_id == target:
        resellers = list(caller.reseller_chain)
    else:
        org = _tenancy(tx).get(target)
        resellers = list(org.chain) if org is not None else []
    number = await repo.next_number(tx.session, tx.ctx.number_prefix)
    ticket = TicketRow(
        id=f"{tx.ctx.number_prefix}-{number:06d}",
        customer_id=target,
        resellers=resellers,
        name=new.name,
        description=new.description,
        severity=new.severity,
        ticket_type=new.ticket_type,
        status=ACKNOWLEDGED,
        status_reason=None,
        channel=new.channel or ("alarm" if any(e["role"] == "alarm" for e in new.related) else channel),
        related=new.related,
        requested_resolution_date=new.requested,
        expected_resolution_date=due_at(tx.now, new.severity, tx.ctx.sla_hours),
        assigned_to=None,
        created_by=caller.username,
        created_at=tx.now,
        updated_at=tx.now,
        resolved_at=None,
        closed_at=None,
        version=0,
    )
    repo.add(tx.session, ticket)
    await tx.session.flush()
    record(tx, ticket, actor=caller.username, kind="created", before=None, after=_summary(ticket))
    return ticket


def _summary(ticket: TicketRow) -> dict[str, Any]:
    return {
        "name": ticket.name,
        "severity": ticket.severity,
        "ticketType": ticket.ticket_type,
        "status": ticket.status,
        "channel": ticket.channel,
        "relatedEntity": ticket.related,
    }


async def ticket(tx: Tx, *, caller: Caller, ticket_id: str) -> TicketRow:
    row = await repo.get(tx.session, ticket_id)
    if row is None:
        raise ProblemError(404, detail=f"no such ticket: {ticket_id}")
    access.require_view(caller, row.customer_id, tenancy=_tenancy(tx), what=ticket_id)
    return row


async def detail(tx: Tx, *, caller: Caller, ticket_id: str) -> Detail:
    row = await ticket(tx, caller=caller, ticket_id=ticket_id)
    return Detail(
        ticket=row,
        notes=await repo.notes(tx.session, row.id, internal=sees_internal(caller)),
        attachments=await repo.attachments(tx.session, row.id),
        history=await repo.history(tx.session, row.id),
    )


async def search(
    tx: Tx, *, caller: Caller, f: Filter, offset: int, limit: int, by_due: bool = False
) -> tuple[list[TicketRow], int]:
    scoped = dataclasses.replace(f, customers=access.visible_customers(caller, _tenancy(tx)))
    return await repo.search(tx.session, scoped, offset=offset, limit=limit, by_due=by_due)


async def queue(tx: Tx, *, caller: Caller, f: Filter, offset: int, limit: int) -> tuple[list[TicketRow], int]:
    access.require_work(caller)
    return await search(tx, caller=caller, f=f, offset=offset, limit=limit, by_due=True)


def check_version(row: TicketRow, if_match: str | None) -> None:
    """`If-Match` (the ETag `"<version>"`, weak or strong, or `*`): 412 when none matches."""
    if if_match is None:
        return
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_match.split(",")]
    if "*" not in tags and str(row.version) not in tags:
        raise ProblemError(
            412,
            title="Precondition failed",
            detail=f"the ticket changed since: it is at version {row.version}",
        )


async def patch(
    tx: Tx, *, caller: Caller, ticket_id: str, raw: dict[str, Any], if_match: str | None = None
) -> TicketRow:
    """A merge patch: severity and assignedTo (staff), notes appended, then the status."""
    changes = parse_patch(raw)
    row = await ticket(tx, caller=caller, ticket_id=ticket_id)
    check_version(row, if_match)
    await apply(tx, caller=caller, row=row, patch=changes)
    return row


async def apply(tx: Tx, *, caller: Caller, row: TicketRow, patch: Patch) -> None:
    role = access.require_role(caller)
    actor = Actor(caller.username, role)
    if role != "staff" and (patch.severity is not None or patch.assigned_to is not ABSENT):
        raise ProblemError(403, detail="only staff may change severity or assignedTo")
    if patch.severity is not None and patch.severity != row.severity:
        before = {"severity": row.severity, "expectedResolutionDate": _iso(row.expected_resolution_date)}
        row.severity = patch.severity
        row.expected_resolution_date = due_at(row.created_at, row.severity, tx.ctx.sla_hours)
        after = {"severity": row.severity, "expectedResolutionDate": _iso(row.expected_resolution_date)}
        record(tx, row, actor=actor.name, kind="severity", before=before, after=after)
    if patch.assigned_to is not ABSENT and patch.assigned_to != row.assigned_to:
        before_assignee, row.assigned_to = row.assigned_to, patch.assigned_to
        record(
            tx,
            row,
            actor=actor.name,
            kind="assigned",
            before={"assignedTo": before_assignee},
            after={"assignedTo": row.assigned_to},
        )
    for note in patch.notes:
        add_note(tx, row=row, actor=actor, note=note)
    if patch.status is not None:
        transition(tx, row, patch.status, actor=actor, reason=patch.reason)


def _iso(at: Any) -> str | None:
    return at.isoformat() if at is not None else None


def add_note(tx: Tx, *, row: TicketRow, actor: Actor, note: NoteIn) -> NoteRow:
    if row.status in FINAL:
        raise ProblemError(409, detail=f"the ticket is {row.status}: no more notes")
    if note.internal and actor.role != "staff":
        raise ProblemError(403, detail="only staff may write internal notes")
    added = NoteRow(
        ticket_id=row.id,
        author=actor.name,
        author_kind=actor.role,
        text=note.text,
        at=tx.now,
        internal=note.internal,
    )
    repo.add(tx.session, added)
    record(
        tx,
        row,
        actor=actor.name,
        kind="note",
        before=None,
        after={"text": note.text if not note.internal else "(internal)", "internal": note.internal},
    )
    return added


async def add_attachment(tx: Tx, *, caller: Caller, ticket_id: str, upload: Upload) -> AttachmentRow:
    row = await ticket(tx, caller=caller, ticket_id=ticket_id)
    access.require_role(caller)
    if row.status in FINAL:
        raise ProblemError(409, detail=f"the ticket is {row.status}: no more attachments")
    added = AttachmentRow(
        ticket_id=row.id,
        name=upload.name,
        media_type=upload.media_type,
        size=len(upload.content),
        sha256=upload.sha256,
        content=upload.content,
        author=caller.username,
        at=tx.now,
    )
    repo.add(tx.session, added)
    await tx.session.flush()
    record(
        tx,
        row,
        actor=caller.username,
        kind="attachment",
        before=None,
        after={"id": added.id, "name": added.name, "mediaType": added.media_type, "size": added.size},
    )
    return added


async def attachment(tx: Tx, *, caller: Caller, ticket_id: str, attachment_id: str) -> AttachmentRow:
    row = await ticket(tx, caller=caller, ticket_id=ticket_id)
    found = await repo.attachment(tx.session, row.id, int(attachment_id)) if attachment_id.isdigit() else None
    if found is None:
        raise ProblemError(404, detail=f"no such attachment: {attachment_id}")
    return found


async def bulk(tx: Tx, *, caller: Caller, raw: dict[str, Any]) -> list[TicketRow]:
    """The same change on every ticket listed, all or nothing: the first refusal (naming the
    ticket) rolls every change back."""
    access.require_work(caller)
    job = parse_bulk(raw)
    rows = await repo.get_many(tx.session, job.ids)
    out: list[TicketRow] = []
    for ticket_id in job.ids:
        try:
            row = rows.get(ticket_id)
            if row is None:
                raise ProblemError(404, detail=f"no such ticket: {ticket_id}")
            access.require_view(caller, row.customer_id, tenancy=_tenancy(tx), what=ticket_id)
            await apply(tx, caller=caller, row=row, patch=job.patch)
        except ProblemError as exc:
            raise ProblemError(
                exc.status, detail=f"{ticket_id}: {exc.detail}; nothing was changed", ticket=ticket_id
            ) from None
        out.append(row)
    return out
