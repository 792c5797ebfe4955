"""What the tickets resource runs while it serves: the in-memory replica of the directory's
tenancy tree (reseller staff's reach, access.py; a new ticket's reseller chain) and the chat hub
following `tickets.chat` (other processes' chat messages, chat_hub.py)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from resources.kit.tenancy import follow_tenancy
from resources.tickets.context import Context

log = logging.getLogger("resources.tickets")


@asynccontextmanager
async def run_tickets(ctx: Context) -> AsyncIterator[None]:
    async with follow_tenancy(ctx.bus, ctx.tenancy, log=log), ctx.chat.running(ctx.bus):
        yield
