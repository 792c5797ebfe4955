"""The call-center router: which sites, in what order, for one toll-free call that reached a
distribution (the switch asks on the network plane, network.py).

It keeps, per customer, the configuration in effect (read from the database once, then again
when `callcenter.changed` says it changed, when the next scheduled revision takes effect, or
after `refresh_seconds` as a safety net for a missed event), the weighted round-robin state of
each distribution, and the live calls per site (live.py). The configuration is the one in effect
by this process's clock, as the SCP picks a number's version; hours are read at the call's
instant (the switch's `ts`), so "east closes at 17:00" needs no reload.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from resources.callcenter import service
from resources.callcenter.context import Context, transaction
from resources.callcenter.distribution import Choice, Rotation, choose
from resources.callcenter.live import Occupancy
from resources.callcenter.overflow import Overflows
from resources.callcenter.sites import Site, state_of


@dataclass(frozen=True)
class Decision:
    distribution: str
    choice: Choice
    sites: dict[str, Site]  # every site of the customer in effect (URIs for the routes)


@dataclass
class _Loaded:
    config: service.Config
    since: datetime  # the instant it was read for
    until: datetime  # read again from this instant on
    loaded: float  # monotonic


class Router:
    def __init__(
        self,
        ctx: Context,
        *,
        pending_seconds: float,
        refresh_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        self.refresh_seconds = refresh_seconds
        self.occupancy = Occupancy(pending_seconds=pending_seconds)
        self.overflows = Overflows()
        self._monotonic = monotonic
        self._configs: dict[str, _Loaded] = {}
        self._rotations: dict[tuple[str, str], Rotation] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def forget(self, customer_id: str | None = None) -> None:
        """Read this customer's configuration (None: every customer's) again on its next call."""
        if customer_id is None:
            self._configs.clear()
        else:
            self._configs.pop(customer_id, None)

    def loaded(self) -> dict[str, service.Config]:
        """The configurations in memory now, by customer (those whose calls were routed lately)."""
        return {customer_id: loaded.config for customer_id, loaded in self._configs.items()}

    async def config(self, customer_id: str, at: datetime) -> service.Config:
        loaded = self._configs.get(customer_id)
        if loaded is not None and self._fresh(loaded, at):
            return loaded.config
        async with self._locks.setdefault(customer_id, asyncio.Lock()):
            loaded = self._configs.get(customer_id)
            if loaded is None or not self._fresh(loaded, at):
                async with transaction(self.ctx, write=False) as tx:
                    read = await service.switch_config(tx, customer_id=customer_id, at=at)
                far = at + timedelta(days=3650)
                loaded = _Loaded(read.config, at, read.next_change or far, self._monotonic())
                self._configs[customer_id] = loaded
        return loaded.config

    async def decide(
        self, *, customer_id: str, distribution: str, call_id: str, at: datetime
    ) -> Decision | None:
        """The ordered sites for the call (None: the customer has no such distribution at `at`).
        The first site is counted as offered the call, the sites left out as overflowed."""
        clock = self.ctx.clock()
        # what is in effect by our clock (like the SCP's versions): the switch's ts has whole
        # seconds, and a change committed a moment ago must already count
        config = await self.config(customer_id, clock)
        chosen = config.distributions.get(distribution)
        if chosen is None:
            return None
        now = clock.timestamp()
        live = self.occupancy
        states = {
            name: state_of(
                config.sites[name],
                at=at,
                live=live.live(customer_id=customer_id, site=name, now=now),
                last_offered=live.last_offered(customer_id=customer_id, site=name),
            )
            for name in set(chosen.sites()) & config.sites.keys()
        }
        rotation = self._rotations.setdefault((customer_id, distribution), Rotation())
        choice = choose(chosen, states, call_id=call_id, rotation=rotation)
        first = choice.sites[0] if choice.sites else None
        if first is not None:
            live.offered(customer_id=customer_id, site=first, call_id=call_id, now=now)
        self.overflows.record(customer_id=customer_id, skipped=choice.skipped, first=first, now=now)
        return Decision(distribution=distribution, choice=choice, sites=dict(config.sites))

    def _fresh(self, loaded: _Loaded, at: datetime) -> bool:
        return loaded.since <= at < loaded.until and self._monotonic() - loaded.loaded < self.refresh_seconds
