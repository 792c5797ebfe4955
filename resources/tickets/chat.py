""" "Talk to us": the live chat of a ticket between the customer's users and the staff working it.

The transcript is its own table (`tickets_chat_messages`), never the notes: internal notes
cannot leak into it, and the TMF621 representation does not change with it (a message writes a
history row of kind `chat` — who, which message, not the text — but neither bumps the version
nor `lastUpdate`, so a ticket page's forms stay valid while its chat goes on).

Who takes part: `access.chat_refusal` (customer users seeing the ticket, staff with
`tickets:work` reaching its customer). A closed, rejected or cancelled ticket keeps its
transcript and takes no more messages.

`post()` stores a message in its own transaction and, once committed, hands it to this
process's hub and publishes `tickets.chat` `{"ticket_id", "customer_id", "message"}` for the
others (chat_hub.py): nothing is shown that is not stored.
"""

from __future__ import annotations

import logging
from typing import Any

from resources.kit.caller import Caller
from resources.kit.errors import ProblemError, ValidationFailed
from resources.tickets import access, service
from resources.tickets import repository as repo
from resources.tickets.chat_hub import CHAT_TOPIC
from resources.tickets.context import Context, Tx, transaction
from resources.tickets.lifecycle import FINAL
from resources.tickets.models import ChatMessageRow, HistoryRow, TicketRow
from resources.tickets.schemas import tmf_time

log = logging.getLogger("resources.tickets")

MAX_TEXT = 2000
MAX_SUBJECT = 200
RATE_COUNT, RATE_SECONDS = 5, 5.0  # per connection
TALK_SEVERITY = "minor"


class ChatRefused(ValueError):
    """A message the chat does not take (the `message` of the `error` frame)."""


def parse_text(raw: Any) -> str:
    """The message's text, trimmed: 1 to 2000 characters."""
    if not isinstance(raw, str):
        raise ChatRefused("the text must be a string")
    text = raw.strip()
    if not text:
        raise ChatRefused("the message is empty")
    if len(text) > MAX_TEXT:
        raise ChatRefused(f"a message may be at most {MAX_TEXT} characters")
    return text


def message_json(row: ChatMessageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "author": row.author,
        "author_kind": row.author_kind,
        "name": row.name,
        "text": row.text,
        "at": tmf_time(row.at),
    }


def _tenancy(tx: Tx) -> Any:
    return tx.ctx.tenancy.current


async def transcript(tx: Tx, *, caller: Caller, ticket_id: str) -> tuple[TicketRow, list[ChatMessageRow]]:
    """The ticket (as `service.ticket`: 404 when out of sight) and its transcript."""
    row = await service.ticket(tx, caller=caller, ticket_id=ticket_id)
    return row, await repo.chat_messages(tx.session, row.id)


async def waiting(tx: Tx, *, ticket_ids: list[str]) -> set[str]:
    """Those of the tickets with a chat waiting for staff (its last message is a customer's)."""
    return await repo.chat_waiting(tx.session, ticket_ids)


async def participant_ticket(tx: Tx, *, caller: Caller, ticket_id: str) -> TicketRow:
    """The ticket whose chat the caller takes part in: 404 unknown (or out of sight), 403 not a
    participant."""
    row = await service.ticket(tx, caller=caller, ticket_id=ticket_id)
    refusal = access.chat_refusal(caller, row.customer_id, tenancy=_tenancy(tx))
    if refusal is not None:
        raise ProblemError(403, detail=refusal)
    return row


def add_message(tx: Tx, *, row: TicketRow, caller: Caller, text: str) -> ChatMessageRow:
    if row.status in FINAL:
        raise ProblemError(409, detail=f"the ticket is {row.status}: the chat is over")
    role = access.chat_role(caller)
    message = ChatMessageRow(
        ticket_id=row.id,
        author=caller.username,
        author_kind=role,
        name=caller.username,  # the assertion carries no display name: the login name
        text=text,
        at=tx.now,
    )
    repo.add(tx.session, message)
    return message


async def say(tx: Tx, *, caller: Caller, ticket_id: str, text: str) -> tuple[TicketRow, ChatMessageRow]:
    row = await participant_ticket(tx, caller=caller, ticket_id=ticket_id)
    message = add_message(tx, row=row, caller=caller, text=parse_text(text))
    await tx.session.flush()
    tx.session.add(
        HistoryRow(
            ticket_id=row.id,
            at=tx.now,
            actor=caller.username,
            kind="chat",
            before=None,
            after={"message": message.id, "author_kind": message.author_kind},
        )
    )
    return row, message


async def announce(ctx: Context, *, row: TicketRow, message: ChatMessageRow) -> dict[str, Any]:
    """After the commit: this process's sockets, then the others' (over the bus)."""
    out = {"type": "message", **message_json(message)}
    ctx.chat.deliver(row.id, out)
    try:
        await ctx.bus.publish(
            CHAT_TOPIC, {"ticket_id": row.id, "customer_id": row.customer_id, "message": out}
        )
    except Exception:
        log.exception("tickets.chat: publishing message %s of %s failed", message.id, row.id)
    return out


async def post(ctx: Context, *, caller: Caller, ticket_id: str, text: str) -> dict[str, Any]:
    """Store a message (its own transaction), then deliver it; the `message` frame."""
    async with transaction(ctx, write=True) as tx:
        row, message = await say(tx, caller=caller, ticket_id=ticket_id, text=text)
    return await announce(ctx, row=row, message=message)


async def start(ctx: Context, *, caller: Caller, subject: str, text: str) -> TicketRow:
    """ "Talk to us" from scratch: an inquiry ticket (channel chat) for the caller's company, its
    first chat message the text (also the description). Customers only (`tickets:open`)."""
    if access.is_staff(caller):
        raise ProblemError(403, detail="Talk to us is for customers: open the chat of their ticket")
    errors: list[dict[str, str]] = []
    name = subject.strip()
    if not name or len(name) > MAX_SUBJECT:
        errors.append({"field": "name", "message": f"give a subject of 1 to {MAX_SUBJECT} characters"})
    first = ""
    try:
        first = parse_text(text)
    except ChatRefused as exc:
        errors.append({"field": "text", "message": str(exc)})
    if errors:
        raise ValidationFailed(errors)
    raw = {
        "name": name,
        "description": first,
        "severity": TALK_SEVERITY,
        "ticketType": "inquiry",
        "channel": "chat",
    }
    async with transaction(ctx, write=True) as tx:
        row = await service.create(tx, caller=caller, raw=raw, channel="chat", customer=None)
        _, message = await say(tx, caller=caller, ticket_id=row.id, text=first)
    await announce(ctx, row=row, message=message)
    return row
