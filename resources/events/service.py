"""events service: the alarms a caller may see (TMF642 list and one alarm), acknowledging,
unacknowledging and commenting them, the store-and-forward feed, the open-alarm count.

Each function takes the transaction and the caller and asks `access` first: 404 for a customer or
alarm the caller may not see, 403 for a change it may not make. Ack, unack and comment are engine
transitions (logged, version-bumped, published after commit).
"""

from __future__ import annotations

from dataclasses import dataclass

from resources.events import access, engine
from resources.events import repository as repo
from resources.events.context import Tx
from resources.events.models import AlarmRow, LogRow
from resources.events.tmf import ListQuery, Patch
from resources.kit.caller import Caller
from resources.kit.errors import ProblemError

FEED_DEFAULT, FEED_MAX = 100, 1000


@dataclass(frozen=True)
class Page:
    alarms: list[AlarmRow]
    total: int


async def alarms(tx: Tx, *, caller: Caller, query: ListQuery, customer: str | None = None) -> Page:
    customers = access.customers_seen(caller, tx.ctx.tenancy.current, customer)
    rows, total = await repo.alarms(
        tx.session, customers=customers, filters=query.filters, offset=query.offset, limit=query.limit
    )
    return Page(alarms=rows, total=total)


async def alarm(tx: Tx, *, caller: Caller, alarm_id: str) -> AlarmRow:
    row = await repo.alarm(tx.session, alarm_id) if len(alarm_id) <= 32 else None
    if row is None or not access.can_see(caller, row.customer_id, tx.ctx.tenancy.current):
        raise ProblemError(404, detail=f"no such alarm: {alarm_id[:40]}")
    return row


async def history(tx: Tx, *, caller: Caller, alarm_id: str) -> tuple[AlarmRow, list[LogRow]]:
    row = await alarm(tx, caller=caller, alarm_id=alarm_id)
    return row, await repo.history(tx.session, row.id)


async def patch(tx: Tx, *, caller: Caller, alarm_id: str, change: Patch) -> AlarmRow:
    """ackState (the caller becomes ackUserId; the same state again changes nothing), then each
    comment appended."""
    row = await alarm(tx, caller=caller, alarm_id=alarm_id)
    access.require_manage(caller, row.customer_id, tenancy=tx.ctx.tenancy.current)
    if change.ack_state == "acknowledged":
        await engine.acknowledge(tx, row, actor=caller.username)
    elif change.ack_state == "unacknowledged":
        await engine.unacknowledge(tx, row, actor=caller.username)
    for text in change.comments:
        await engine.comment(tx, row, actor=caller.username, text=text)
    return row


async def feed(
    tx: Tx, *, caller: Caller, after: int, limit: int, customer: str | None = None
) -> tuple[list[LogRow], int]:
    """The log rows after `after` the caller may see, in seq order, and the cursor to resume from
    (the last row's seq; `after` when there is none)."""
    customers = access.customers_seen(caller, tx.ctx.tenancy.current, customer)
    rows = await repo.log(tx.session, customers=customers, after=after, limit=limit)
    return rows, rows[-1].seq if rows else after


async def open_count(tx: Tx, *, caller: Caller, customer: str | None = None) -> int:
    """Open (not cleared) alarms nobody has acknowledged: what the menu can show."""
    customers = access.customers_seen(caller, tx.ctx.tenancy.current, customer)
    return await repo.open_unacknowledged(tx.session, customers=customers)
