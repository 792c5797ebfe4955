from __future__ import annotations

import secrets

import pytest
import redis.asyncio as aioredis

from gateway.throttle import MemoryThrottle, RedisThrottle


class Tick:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


async def test_memory_sliding_window_and_block() -> None:
    tick = Tick()
    t = MemoryThrottle(limit=20, window=900, block=900, clock=tick)
    for _ in range(19):
        assert await t.record_failure("1.2.3.4") is False
        tick.t += 10
    assert await t.blocked("1.2.3.4") is False
    assert await t.blocked("5.6.7.8") is False
    assert await t.record_failure("1.2.3.4") is True
    assert await t.blocked("1.2.3.4") is True
    tick.t += 899
    assert await t.blocked("1.2.3.4") is True
    tick.t += 1
    assert await t.blocked("1.2.3.4") is False


async def test_memory_old_failures_slide_out() -> None:
    tick = Tick()
    t = MemoryThrottle(limit=3, window=100, block=50, clock=tick)
    await t.record_failure("ip")
    await t.record_failure("ip")
    tick.t += 100
    assert await t.record_failure("ip") is False  # the first two are outside the window


@pytest.mark.integration
async def test_redis_throttle() -> None:
    prefix = f"test:{secrets.token_hex(6)}:"
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    t = RedisThrottle(client, limit=3, window=60, block=30, prefix=prefix)
    try:
        assert await t.record_failure("ip") is False
        assert await t.record_failure("ip") is False
        assert await t.blocked("ip") is False
        assert await t.record_failure("ip") is True
        assert await t.blocked("ip") is True
        assert await t.blocked("other") is False
        assert 25 <= await client.ttl(f"{prefix}block:ip") <= 30
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await t.aclose()
