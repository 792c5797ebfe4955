"""A change counter beside the event bus: who caches derived state checks it on every use.

Events can be late (a Redis subscriber reconnecting, a full queue). A cache that must never serve
stale security state — the gateway's principals and API tokens — keeps the counter value it read
*before* fetching an entry and uses the entry only while the counter still has that value. The
directory bumps the counter after every committed change of users, roles, entitlements, tokens
or organisations, before it publishes `directory.changed`.

In one process the counter is an integer shared through the bus object; split, it is a Redis key
next to the bus's channels (`switchboard:<db>:<name>`): INCR by the writer, GET by readers. A
reader that finds the key missing creates it (SET NX) with a random start, so a flushed Redis
never repeats a value an old cache entry was stored under.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from resources.kit.events import EventBus, RedisBus

DIRECTORY_VERSION = "directory.version"


class ChangeCounter(Protocol):
    async def current(self) -> int: ...

    async def bump(self) -> None: ...


@dataclass
class LocalCounter:
    value: int = 0

    async def current(self) -> int:
        return self.value

    async def bump(self) -> None:
        self.value += 1


class RedisCounter:
    def __init__(self, redis: Any, key: str) -> None:
        self._redis = redis
        self.key = key

    async def current(self) -> int:
        raw = await self._redis.get(self.key)
        if raw is None:
            await self._redis.set(self.key, secrets.randbits(48), nx=True)
            raw = await self._redis.get(self.key)
        return int(raw)

    async def bump(self) -> None:
        await self._redis.incr(self.key)


def counter_for(bus: EventBus, name: str = DIRECTORY_VERSION) -> ChangeCounter:
    """The counter `name` every holder of this bus shares (one per bus object and name)."""
    counters = bus.counters
    counter: ChangeCounter | None = counters.get(name)
    if counter is None:
        if isinstance(bus, RedisBus):
            counter = RedisCounter(bus.redis, f"{bus.prefix}{name}")
        else:
            counter = LocalCounter()
        counters[name] = counter
    return counter
