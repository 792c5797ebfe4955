"""The toll-free resource's replica of the call-center distribution names (`callcenter.distributions`).

A plan's leaf may send calls to `distribution:<name>`; the callcenter resource owns
distributions and routes those calls (the switch asks its router), but a plan is checked here,
and toll-free never reads callcenter's tables (DESIGN.md §4). The callcenter resource publishes
`{"customers": {customer id: [names]}}` — every customer's distributions in effect or
scheduled — at start, after each change, every 60 s and when it hears
`callcenter.distributions-wanted`, which this replica publishes each time it (re)subscribes.

The replica is in memory: a fresh process knows no names until the first picture arrives (in one
process: at once; split: one bus round trip); until then a plan naming a distribution is refused
with "cannot be checked yet" rather than "does not exist". A malformed picture is logged and
ignored (the last good one stays).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from resources.kit.events import Event
from resources.kit.follow import following

log = logging.getLogger("resources.tollfree")

DISTRIBUTIONS = "callcenter.distributions"
DISTRIBUTIONS_WANTED = "callcenter.distributions-wanted"
MAX_ID = 64


class DistributionNames:
    def __init__(self) -> None:
        self.reported = False
        self._names: dict[str, frozenset[str]] = {}

    def of(self, customer_id: str) -> frozenset[str]:
        return self._names.get(customer_id, frozenset())

    def apply(self, payload: Any) -> bool:
        """Take one picture; False (and the last one kept) when it is malformed."""
        customers = payload.get("customers") if isinstance(payload, Mapping) else None
        if not isinstance(customers, Mapping) or not all(
            isinstance(c, str)
            and 0 < len(c) <= MAX_ID
            and isinstance(names, list)
            and all(isinstance(n, str) for n in names)
            for c, names in customers.items()
        ):
            log.warning("%s: ignoring a malformed picture", DISTRIBUTIONS)
            return False
        self._names = {c: frozenset(names) for c, names in customers.items()}
        self.reported = True
        return True


@asynccontextmanager
async def run_distributions_replica(ctx: Any) -> AsyncIterator[None]:
    """Entered by the app lifespan: follow `callcenter.distributions` into `ctx.distributions`,
    asking for a picture each time the subscription (re)starts."""

    async def on_event(event: Event) -> None:
        ctx.distributions.apply(event.payload)

    async def ask(_first_time: bool) -> None:
        await ctx.bus.publish(DISTRIBUTIONS_WANTED, {})

    async with following(
        ctx.bus, (DISTRIBUTIONS,), on_event=on_event, on_subscribed=ask, log=log, what=DISTRIBUTIONS
    ):
        yield
