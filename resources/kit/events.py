"""One event-bus interface: in-process by default, Redis pub/sub when split (DESIGN.md §4).

Publish after commit. Subscribers get every event published after they subscribed, in order;
a slow subscriber never blocks a publisher (bounded queue, oldest dropped, counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    topic: str
    payload: dict[str, Any]


class EventBus(Protocol):
    async def publish(self, topic: str, payload: dict[str, Any]) -> None: ...

    def subscribe(self, *topics: str) -> AsyncIterator[Event]: ...

    async def aclose(self) -> None: ...

    # the change counters that ride along with this bus, by name (resources/kit/versions.py)
    counters: dict[str, Any]


@dataclass(eq=False)
class InProcessBus:
    queue_size: int = 1000
    dropped: int = 0
    counters: dict[str, Any] = field(default_factory=dict)
    _subs: list[tuple[frozenset[str], asyncio.Queue[Event]]] = field(default_factory=list)

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        event = Event(topic, payload)
        for topics, queue in list(self._subs):
            if topic in topics:
                if queue.full():
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                    self.dropped += 1
                queue.put_nowait(event)

    async def subscribe(self, *topics: str) -> AsyncIterator[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self.queue_size)
        entry = (frozenset(topics), queue)
        self._subs.append(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subs.remove(entry)

    async def aclose(self) -> None:
        self._subs.clear()


class RedisBus:
    """Redis pub/sub fan-out across processes. Channel = `switchboard:<db>:<topic>`.

    Redis pub/sub ignores the database number, so the channel carries it: deployments (or test
    runs) that share a Redis server on different databases, as their keys do, do not hear each
    other's events."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)
        db = int(self._redis.connection_pool.connection_kwargs.get("db") or 0)
        self.prefix = f"switchboard:{db}:"
        self.counters: dict[str, Any] = {}

    @property
    def redis(self) -> Any:
        """The client (resources/kit/versions.py keeps its counters next to the channels)."""
        return self._redis

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self._redis.publish(f"{self.prefix}{topic}", json.dumps(payload))

    async def subscribe(self, *topics: str) -> AsyncIterator[Event]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(*(f"{self.prefix}{t}" for t in topics))
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                channel = message["channel"]
                name = channel.decode() if isinstance(channel, bytes) else str(channel)
                yield Event(name.removeprefix(self.prefix), json.loads(message["data"]))
        finally:
            await pubsub.aclose()

    async def aclose(self) -> None:
        await self._redis.aclose()


def make_bus(redis_url: str | None) -> EventBus:
    return RedisBus(redis_url) if redis_url else InProcessBus()
