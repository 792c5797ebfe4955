"""Per-IP failed-login throttling (sliding window). Per-account lockout is the directory's job.

`limit` failures within `window` seconds block the IP for `block` seconds. A success does not
reset the IP's count: an attacker could otherwise interleave a login of their own account.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis

DEFAULT_LIMIT = 20
DEFAULT_WINDOW = 15 * 60
DEFAULT_BLOCK = 15 * 60


class LoginThrottle(Protocol):
    async def blocked(self, ip: str) -> bool: ...

    async def record_failure(self, ip: str) -> bool:
        """Count one failure; True when the IP is (now) blocked."""
        ...


class MemoryThrottle:
    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        block: float = DEFAULT_BLOCK,
        clock: Callable[[], float] = time.monotonic,
        max_ips: int = 100_000,
    ) -> None:
        self.limit, self.window, self.block = limit, window, block
        self._clock = clock
        self._max_ips = max_ips
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    async def blocked(self, ip: str) -> bool:
        until = self._blocked_until.get(ip)
        if until is None:
            return False
        if self._clock() >= until:
            del self._blocked_until[ip]
            return False
        return True

    async def record_failure(self, ip: str) -> bool:
        now = self._clock()
        if len(self._failures) >= self._max_ips and ip not in self._failures:
            self._prune(now)
        hits = self._failures.setdefault(ip, deque())
        hits.append(now)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            self._blocked_until[ip] = now + self.block
            hits.clear()
        return await self.blocked(ip)

    def _prune(self, now: float) -> None:
        for ip in [ip for ip, hits in self._failures.items() if not hits or hits[-1] <= now - self.window]:
            del self._failures[ip]


class RedisThrottle:
    """The same rule across processes: a sorted set of failure times per IP + a block key."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        limit: int = DEFAULT_LIMIT,
        window: int = DEFAULT_WINDOW,
        block: int = DEFAULT_BLOCK,
        prefix: str = "switchboard:gw:throttle:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self.limit, self.window, self.block = limit, window, block
        self._prefix = prefix
        self._clock = clock

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "switchboard:gw:throttle:") -> RedisThrottle:
        return cls(aioredis.from_url(url), prefix=prefix)

    async def blocked(self, ip: str) -> bool:
        return bool(await self._redis.exists(f"{self._prefix}block:{ip}"))

    async def record_failure(self, ip: str) -> bool:
        now = self._clock()
        key = f"{self._prefix}fail:{ip}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - self.window)
            pipe.zadd(key, {f"{now!r}:{secrets.token_hex(4)}": now})
            pipe.zcard(key)
            pipe.expire(key, self.window)
            results = await pipe.execute()
        if int(results[2]) >= self.limit:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(f"{self._prefix}block:{ip}", "1", ex=self.block)
                pipe.delete(key)
                await pipe.execute()
            return True
        return await self.blocked(ip)

    async def aclose(self) -> None:
        await self._redis.aclose()
