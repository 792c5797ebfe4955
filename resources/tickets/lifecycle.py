"""The trouble ticket's lifecycle (TMF621 v4) as data, and the one function that moves a ticket.

    acknowledged ─▶ inProgress ─▶ pending / held ─▶ inProgress ─▶ resolved ─▶ closed
         │                                                          │
         └─▶ rejected                  resolved ─▶ inProgress (the customer reopens, ≤ 7 days)
    cancelled: by the customer, from any state before resolved

`TRANSITIONS` says who may take each move: the customer (`tickets:open`: cancel, reopen, close a
resolved ticket) or staff (`tickets:work`: everything else). `transition()` checks the table,
writes the history row, bumps the version and sets resolved_at / closed_at; every other change
(notes, attachments, severity, assignment) goes through `record()`, which writes its history
row the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from resources.kit.errors import ProblemError
from resources.tickets.context import Tx
from resources.tickets.models import HistoryRow, TicketRow

Role = Literal["customer", "staff"]

ACKNOWLEDGED, IN_PROGRESS, PENDING, HELD = "acknowledged", "inProgress", "pending", "held"
RESOLVED, CLOSED, REJECTED, CANCELLED = "resolved", "closed", "rejected", "cancelled"
STATUSES = (ACKNOWLEDGED, IN_PROGRESS, PENDING, HELD, RESOLVED, CLOSED, REJECTED, CANCELLED)
OPEN_STATUSES = (ACKNOWLEDGED, IN_PROGRESS, PENDING, HELD)  # still being worked on (the SLA runs)
FINAL = (CLOSED, REJECTED, CANCELLED)  # nothing moves a ticket out of these


@dataclass(frozen=True)
class Move:
    who: Role
    label: str  # the button
    reopen: bool = False  # only within the reopen window after resolution


TRANSITIONS: dict[tuple[str, str], Move] = {
    (ACKNOWLEDGED, IN_PROGRESS): Move("staff", "Start work"),
    (ACKNOWLEDGED, REJECTED): Move("staff", "Reject"),
    (ACKNOWLEDGED, CANCELLED): Move("customer", "Cancel ticket"),
    (IN_PROGRESS, PENDING): Move("staff", "Pending (waiting for the customer)"),
    (IN_PROGRESS, HELD): Move("staff", "Hold"),
    (IN_PROGRESS, RESOLVED): Move("staff", "Resolve"),
    (IN_PROGRESS, CANCELLED): Move("customer", "Cancel ticket"),
    (PENDING, IN_PROGRESS): Move("staff", "Resume work"),
    (PENDING, CANCELLED): Move("customer", "Cancel ticket"),
    (HELD, IN_PROGRESS): Move("staff", "Resume work"),
    (HELD, CANCELLED): Move("customer", "Cancel ticket"),
    (RESOLVED, IN_PROGRESS): Move("customer", "Reopen", reopen=True),
    (RESOLVED, CLOSED): Move("customer", "Close ticket"),
}


@dataclass(frozen=True)
class Actor:
    name: str  # the login name written to the history
    role: Role


def refusal(ticket: TicketRow, to: str, role: Role, *, now: Any, reopen_days: int) -> ProblemError | None:
    """Why `role` may not move the ticket to `to` (None: it may)."""
    if to not in STATUSES:
        return ProblemError(
            422,
            detail=f"{to!r} is not a status",
            errors=[{"field": "status", "message": f"must be one of {', '.join(STATUSES)}"}],
        )
    move = TRANSITIONS.get((ticket.status, to))
    if move is None:
        return ProblemError(409, detail=f"a ticket cannot go from {ticket.status} to {to}")
    if move.who != role:
        who = "the customer" if move.who == "customer" else "staff"
        return ProblemError(403, detail=f"only {who} may move a ticket from {ticket.status} to {to}")
    if move.reopen and (ticket.resolved_at is None or now > ticket.resolved_at + timedelta(days=reopen_days)):
        return ProblemError(
            409, detail=f"a ticket can be reopened only within {reopen_days} days of its resolution"
        )
    return None


def moves_for(ticket: TicketRow, role: Role | None, *, now: Any, reopen_days: int) -> list[tuple[str, str]]:
    """(status, label) of every move `role` may take now."""
    if role is None:
        return []
    return [
        (to, move.label)
        for (frm, to), move in TRANSITIONS.items()
        if frm == ticket.status and refusal(ticket, to, role, now=now, reopen_days=reopen_days) is None
    ]


def transition(tx: Tx, ticket: TicketRow, to: str, *, actor: Actor, reason: str | None) -> None:
    """Move the ticket to `to` when the table lets `actor` (ProblemError otherwise): history row,
    version, resolved_at (set on resolve, cleared on reopen), closed_at (set on close)."""
    problem = refusal(ticket, to, actor.role, now=tx.now, reopen_days=tx.ctx.reopen_days)
    if problem is not None:
        raise problem
    before = {"status": ticket.status, "statusChangeReason": ticket.status_reason}
    ticket.status, ticket.status_reason = to, reason
    if to == RESOLVED:
        ticket.resolved_at = tx.now
    elif before["status"] == RESOLVED and to == IN_PROGRESS:
        ticket.resolved_at = None
    if to == CLOSED:
        ticket.closed_at = tx.now
    record(
        tx,
        ticket,
        actor=actor.name,
        kind="status",
        before=before,
        after={"status": to, "statusChangeReason": reason},
    )


def record(
    tx: Tx,
    ticket: TicketRow,
    *,
    actor: str,
    kind: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """A change of the ticket: its history row, the next version, updated_at, and the
    `tickets.changed` event after commit."""
    ticket.version += 1
    ticket.updated_at = tx.now
    tx.session.add(
        HistoryRow(ticket_id=ticket.id, at=tx.now, actor=actor, kind=kind, before=before, after=after)
    )
    tx.changed[ticket.id] = {
        "id": ticket.id,
        "customer_id": ticket.customer_id,
        "status": ticket.status,
        "related": list(ticket.related),
    }
