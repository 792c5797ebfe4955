"""RedisBus against the machine's Redis: fan-out, and no cross-talk between Redis databases."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from resources.kit.events import Event, RedisBus

pytestmark = pytest.mark.integration

REDIS = "redis://127.0.0.1:6379"


async def _first(bus: RedisBus, topic: str, ready: asyncio.Event) -> Event:
    stream = bus.subscribe(topic)
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.2)  # the SUBSCRIBE reaches Redis once the generator runs
    ready.set()
    try:
        return await asyncio.wait_for(first, timeout=5)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]


async def test_channels_carry_the_database_number() -> None:
    topic = f"test.{secrets.token_hex(4)}"
    here, elsewhere = RedisBus(f"{REDIS}/11"), RedisBus(f"{REDIS}/12")
    try:
        assert (here.prefix, elsewhere.prefix) == ("switchboard:11:", "switchboard:12:")
        default = RedisBus(REDIS)
        assert default.prefix == "switchboard:0:"
        await default.aclose()
        ready = asyncio.Event()
        listener = asyncio.create_task(_first(here, topic, ready))
        await ready.wait()
        await elsewhere.publish(topic, {"from": "db12"})  # another deployment: not heard
        await here.publish(topic, {"from": "db11"})
        assert await listener == Event(topic, {"from": "db11"})
    finally:
        await here.aclose()
        await elsewhere.aclose()
