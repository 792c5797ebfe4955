"""What the tickets resource runs while it serves: the in-memory replica of the directory's
tenancy tree (reseller staff's reach, access.py; a new ticket's reseller chain), the chat hub
following `tickets.chat` (other processes' chat messages, chat_hub.py), and `events.alarm`
(tickets about an alarm hear when it clears, alarms.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from resources.kit.events import Event
from resources.kit.follow import following
from resources.kit.tenancy import follow_tenancy
from resources.tickets.alarms import ALARM_TOPIC, on_alarm
from resources.tickets.context import Context

log = logging.getLogger("resources.tickets")


@asynccontextmanager
async def run_tickets(ctx: Context) -> AsyncIterator[None]:
    async def alarm(event: Event) -> None:
        await on_alarm(ctx, event)

    async with (
        follow_tenancy(ctx.bus, ctx.tenancy, log=log),
        ctx.chat.running(ctx.bus),
        following(ctx.bus, (ALARM_TOPIC,), on_event=alarm, log=log, what=ALARM_TOPIC),
    ):
        yield
