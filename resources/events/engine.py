"""The alarm engine: conditions in, TMF642 alarms out (DESIGN §6.4: the state machine is data —
`TRANSITIONS` — and `transition()` is the one function that changes an alarm's state and writes
its log row).

    observe(tx, condition)      active: raise a new alarm or update the open one;
                                inactive: start (or finish) the clear hysteresis
    sweep(tx)                   clear the alarms whose condition stayed inactive `clear_after` s
    acknowledge / unacknowledge / comment (tx, alarm, actor=…)

* One open alarm per (customer, alarmed object, probable cause): the partial unique index
  refuses a second; a raise that loses that race re-reads the winner and updates it.
* An update writes a log row only when something a customer sees changed (severity, specific
  problem) or `update_interval` after the alarm's last row: a detector repeating itself every
  second does not flood the log (the alarm's `occurrences` and `alarmReportingTime` still move).
* An inactive observation sets `clearing_since`; an active one resets it; the alarm clears once
  it has stayed inactive `clear_after` seconds (here or in the runtime's sweep). A cleared alarm
  is final: the next active condition raises a new alarm, which correlates to the cleared one
  when that cleared less than `flap_window` ago (flapping is visible as one chain).
* Every log row bumps the alarm's `version`; the rows are published after commit (context.py).
  The notifications it causes are delivery rows written with it (notify.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError

from resources.events import notify
from resources.events import repository as repo
from resources.events.conditions import Condition
from resources.events.context import Tx
from resources.events.models import AlarmRow, LogRow
from resources.events.tmf import alarm_json

State = Literal["raised", "updated", "cleared"]
Trigger = Literal["raise", "update", "clear", "acknowledge", "unacknowledge", "comment"]
STATES: tuple[State, ...] = ("raised", "updated", "cleared")
NEW = None  # the state of an alarm not raised yet

# (state before, trigger) -> state after; anything missing is not a transition
TRANSITIONS: Mapping[tuple[State | None, Trigger], State] = {
    (NEW, "raise"): "raised",
    ("raised", "update"): "updated",
    ("updated", "update"): "updated",
    ("raised", "clear"): "cleared",
    ("updated", "clear"): "cleared",
    **{(s, t): s for s in STATES for t in ("acknowledge", "unacknowledge", "comment")},
}
# the log row's kind per trigger
KINDS: Mapping[Trigger, str] = {
    "raise": "raised",
    "update": "updated",
    "clear": "cleared",
    "acknowledge": "acknowledged",
    "unacknowledge": "unacknowledged",
    "comment": "commented",
}


class InvalidTransition(Exception):
    def __init__(self, state: str | None, trigger: str) -> None:
        super().__init__(f"a {state or 'new'} alarm cannot take {trigger!r}")
        self.state, self.trigger = state, trigger


async def transition(tx: Tx, alarm: AlarmRow, trigger: Trigger, *, actor: str | None = None) -> LogRow:
    """Move `alarm` by `trigger` (InvalidTransition if the table has no such move), bump its
    version and append its log row (the snapshot after the change)."""
    state = next((s for s in STATES if s == alarm.state), NEW)
    after = TRANSITIONS.get((state, trigger))
    if after is None:
        raise InvalidTransition(alarm.state, trigger)
    if not tx.log_locked:
        await repo.lock_log(tx.session)
        tx.log_locked = True
    severity = alarm.perceived_severity  # a clear notifies by the severity it had
    alarm.state = after
    alarm.version = (alarm.version or 0) + 1
    alarm.updated_time = alarm.logged_at = tx.now
    if trigger == "clear":
        alarm.cleared_time = tx.now
        alarm.perceived_severity = "cleared"
    row = LogRow(
        customer_id=alarm.customer_id,
        alarm_id=alarm.id,
        kind=KINDS[trigger],
        at=tx.now,
        actor=actor,
        alarm=alarm_json(alarm),
    )
    tx.session.add(row)
    await notify.enqueue(tx, alarm, row, severity=severity)  # the deliveries, in this transaction
    tx.logged.append(row)
    return row


def _at(condition: Condition) -> datetime:
    return datetime.fromtimestamp(condition.at, UTC)


async def observe(tx: Tx, condition: Condition) -> AlarmRow | None:
    """Feed one condition in; the alarm it raised, updated or started clearing (None: inactive
    and nothing open)."""
    key = {
        "customer_id": condition.customer_id,
        "alarmed_object": condition.alarmed_object,
        "probable_cause": condition.probable_cause,
    }
    alarm = await repo.open_alarm(tx.session, **key)
    if condition.active:
        if alarm is None:
            return await _raise(tx, condition)
        await _update(tx, alarm, condition)
        return alarm
    if alarm is None:
        return None
    if alarm.clearing_since is None:
        alarm.clearing_since = tx.now
    if tx.now - alarm.clearing_since >= timedelta(seconds=tx.ctx.clear_after):
        await transition(tx, alarm, "clear")
    return alarm


async def _raise(tx: Tx, condition: Condition) -> AlarmRow:
    previous = await repo.last_cleared(
        tx.session,
        customer_id=condition.customer_id,
        alarmed_object=condition.alarmed_object,
        probable_cause=condition.probable_cause,
    )
    flapping = (
        previous is not None
        and previous.cleared_time is not None
        and tx.now - previous.cleared_time < timedelta(seconds=tx.ctx.flap_window)
    )
    at = _at(condition)
    alarm = AlarmRow(
        id=uuid.uuid4().hex,
        customer_id=condition.customer_id,
        resellers=list(condition.resellers),
        alarmed_object=condition.alarmed_object,
        probable_cause=condition.probable_cause,
        alarm_type=condition.alarm_type,
        perceived_severity=condition.severity,
        specific_problem=condition.specific_problem,
        ack_state="unacknowledged",
        event_time=at,
        raised_time=tx.now,
        source=condition.source,
        occurrences=1,
        correlated=[previous.id] if flapping and previous is not None else [],
        comments=[],
        version=0,
    )
    if not tx.log_locked:  # before the insert: the lock is never taken inside the savepoint
        await repo.lock_log(tx.session)
        tx.log_locked = True
    entry: LogRow | None = None
    try:
        async with tx.session.begin_nested():
            tx.session.add(alarm)
            entry = await transition(tx, alarm, "raise")
            await tx.session.flush()
    except IntegrityError:
        # another writer raised this key first (the partial unique index): update its alarm
        if entry is not None and entry in tx.logged:
            tx.logged.remove(entry)
        winner = await repo.open_alarm(
            tx.session,
            customer_id=condition.customer_id,
            alarmed_object=condition.alarmed_object,
            probable_cause=condition.probable_cause,
        )
        if winner is None:
            raise
        await _update(tx, winner, condition)
        return winner
    return alarm


async def _update(tx: Tx, alarm: AlarmRow, condition: Condition) -> None:
    visible = (
        condition.severity != alarm.perceived_severity or condition.specific_problem != alarm.specific_problem
    )
    alarm.perceived_severity = condition.severity
    alarm.specific_problem = condition.specific_problem
    alarm.event_time = _at(condition)
    alarm.occurrences += 1
    alarm.clearing_since = None
    alarm.source = condition.source
    if visible or tx.now - alarm.logged_at >= timedelta(seconds=tx.ctx.update_interval):
        await transition(tx, alarm, "update")


async def due(tx: Tx) -> list[AlarmRow]:
    """The open alarms whose condition has stayed inactive `clear_after` seconds."""
    return await repo.clearing_due(tx.session, before=tx.now - timedelta(seconds=tx.ctx.clear_after))


async def sweep(tx: Tx) -> list[AlarmRow]:
    """Clear every open alarm whose condition has stayed inactive `clear_after` seconds."""
    due_now = await due(tx)
    for alarm in due_now:
        await transition(tx, alarm, "clear")
    return due_now


async def acknowledge(tx: Tx, alarm: AlarmRow, *, actor: str) -> LogRow | None:
    """None: it was acknowledged already (nothing changes)."""
    if alarm.ack_state == "acknowledged":
        return None
    alarm.ack_state, alarm.ack_by, alarm.ack_at = "acknowledged", actor, tx.now
    return await transition(tx, alarm, "acknowledge", actor=actor)


async def unacknowledge(tx: Tx, alarm: AlarmRow, *, actor: str) -> LogRow | None:
    if alarm.ack_state == "unacknowledged":
        return None
    alarm.ack_state, alarm.ack_by, alarm.ack_at = "unacknowledged", None, None
    return await transition(tx, alarm, "unacknowledge", actor=actor)


async def comment(tx: Tx, alarm: AlarmRow, *, actor: str, text: str) -> LogRow:
    """`text`: already checked (tmf.comment_text: 1..2000 characters)."""
    time = tx.now.isoformat().replace("+00:00", "Z")
    alarm.comments = [*alarm.comments, {"time": time, "author": actor, "text": text}]
    return await transition(tx, alarm, "comment", actor=actor)
