"""Tickets about an alarm hear when it clears (`events.alarm` from the event monitor, kind
`cleared`): each open ticket of that customer whose related entities name the alarm gets a
history row `alarm-cleared` (actor `events`), and its page offers to resolve it ("the alarm this
ticket is about has cleared"). The ticket's status never changes by itself: a person decides.

The alarm is never read from the event monitor's tables (DESIGN §4): the event carries all that is
needed (customer, alarm id, the cleared time in its TMF642 snapshot).
"""

from __future__ import annotations

import logging
from typing import Any

from resources.kit.events import Event
from resources.tickets import repository as repo
from resources.tickets.context import Context, transaction
from resources.tickets.lifecycle import OPEN_STATUSES, record
from resources.tickets.models import HistoryRow, TicketRow

log = logging.getLogger("resources.tickets")

ALARM_TOPIC = "events.alarm"
CLEARED = "alarm-cleared"
MAX_OPEN = 1000  # open tickets of one customer looked at per cleared alarm


def about(ticket: TicketRow, alarm_id: str) -> bool:
    return any(e.get("role") == "alarm" and e.get("id") == alarm_id for e in ticket.related or ())


async def on_alarm(ctx: Context, event: Event) -> int:
    """How many tickets heard of the clear (0 for any other change or a malformed payload)."""
    payload: dict[str, Any] = event.payload
    alarm_id, customer_id = payload.get("alarm_id"), payload.get("customer_id")
    if payload.get("kind") != "cleared" or not isinstance(alarm_id, str) or not isinstance(customer_id, str):
        return 0
    alarm = payload.get("alarm") if isinstance(payload.get("alarm"), dict) else {}
    cleared_time = alarm.get("alarmClearedTime") if isinstance(alarm, dict) else None
    async with transaction(ctx, write=True) as tx:
        rows, _ = await repo.search(
            tx.session, repo.Filter(customer=customer_id, status=OPEN_STATUSES), offset=0, limit=MAX_OPEN
        )
        touched = [t for t in rows if about(t, alarm_id)]
        for ticket in touched:
            after = {"alarm": alarm_id, "clearedTime": cleared_time}
            record(tx, ticket, actor="events", kind=CLEARED, before=None, after=after)
    return len(touched)


def cleared_alarm(ticket: TicketRow, history: list[HistoryRow]) -> dict[str, Any] | None:
    """The clear of a related alarm the ticket heard since its last status change, while it is
    open (what its page offers to resolve); None otherwise."""
    if ticket.status not in OPEN_STATUSES:
        return None
    heard: dict[str, Any] | None = None
    for row in history:
        if row.kind == "status":
            heard = None
        elif row.kind == CLEARED and row.after is not None:
            heard = dict(row.after)
    return heard
