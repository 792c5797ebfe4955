"""The SLA: when a ticket is due (its severity's hours from the settings' table after it was
opened) and how it stands (`slaState`):

* `breached` — still open past the due time, or resolved after it;
* `warning` — still open and less than 25 % of the SLA left;
* `ok` — otherwise (including tickets rejected or cancelled before they were due).

The clock does not stop while a ticket is pending or held.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from resources.tickets.lifecycle import OPEN_STATUSES
from resources.tickets.models import TicketRow

SlaState = Literal["ok", "warning", "breached"]
WARNING_SHARE = 0.25


def due_at(created_at: datetime, severity: str, hours: Mapping[str, int]) -> datetime:
    return created_at + timedelta(hours=hours[severity])


def state_of(ticket: TicketRow, now: datetime) -> SlaState:
    due = ticket.expected_resolution_date
    if ticket.status not in OPEN_STATUSES:
        done = ticket.resolved_at
        return "breached" if done is not None and done > due else "ok"
    if now > due:
        return "breached"
    if now > due - (due - ticket.created_at) * WARNING_SHARE:
        return "warning"
    return "ok"
