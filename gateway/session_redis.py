"""SessionStore on Redis: one hash per session + one set of session keys per user.

Keys: `<prefix>session:<key>` (hash, TTL = absolute timeout from creation) and
`<prefix>user:<user_id>` (set of session keys; stale members are pruned when listed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import redis.asyncio as aioredis

from gateway.sessions import SessionRecord, SessionState


def _ts(value: datetime) -> str:
    return repr(value.timestamp())


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _dt(value: str) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)


class RedisSessionStore:
    def __init__(
        self, client: aioredis.Redis, *, absolute_seconds: int, prefix: str = "switchboard:gw:"
    ) -> None:
        self._redis = client
        self._ttl = absolute_seconds
        self._prefix = prefix

    @classmethod
    def from_url(
        cls, url: str, *, absolute_seconds: int, prefix: str = "switchboard:gw:"
    ) -> RedisSessionStore:
        return cls(aioredis.from_url(url), absolute_seconds=absolute_seconds, prefix=prefix)

    def _skey(self, key: str) -> str:
        return f"{self._prefix}session:{key}"

    def _ukey(self, user_id: str) -> str:
        return f"{self._prefix}user:{user_id}"

    async def create(self, record: SessionRecord) -> None:
        mapping: dict[str, str] = {
            "user_id": record.user_id,
            "state": record.state,
            "csrf_token": record.csrf_token,
            "created_at": _ts(record.created_at),
            "last_seen": _ts(record.last_seen),
            "ip": record.ip,
            "user_agent": record.user_agent,
            "mfa_verified": "1" if record.mfa_verified else "0",
        }
        ttl = self._ttl  # a ceiling only: SessionManager enforces both timeouts on every read
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._skey(record.key), mapping=cast(Any, mapping))
            pipe.expire(self._skey(record.key), ttl)
            pipe.sadd(self._ukey(record.user_id), record.key)
            pipe.expire(self._ukey(record.user_id), self._ttl)
            await pipe.execute()

    async def get(self, key: str) -> SessionRecord | None:
        raw = await self._redis.hgetall(self._skey(key))
        f = {_text(k): _text(v) for k, v in raw.items()}
        if "user_id" not in f:
            return None
        return SessionRecord(
            key=key,
            user_id=f["user_id"],
            state=cast(SessionState, f["state"]),
            csrf_token=f["csrf_token"],
            created_at=_dt(f["created_at"]),
            last_seen=_dt(f["last_seen"]),
            ip=f["ip"],
            user_agent=f["user_agent"],
            mfa_verified=f["mfa_verified"] == "1",
        )

    async def touch(self, key: str, last_seen: datetime) -> None:
        # only if it still exists: a touch must never resurrect a revoked session
        if await self._redis.exists(self._skey(key)):
            await self._redis.hset(self._skey(key), "last_seen", _ts(last_seen))

    async def delete(self, key: str) -> None:
        record = await self.get(key)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._skey(key))
            if record is not None:
                pipe.srem(self._ukey(record.user_id), key)
            await pipe.execute()

    async def list_for_user(self, user_id: str) -> list[SessionRecord]:
        members = await self._redis.smembers(self._ukey(user_id))
        out: list[SessionRecord] = []
        for key in sorted(_text(m) for m in members):
            record = await self.get(key)
            if record is None:
                await self._redis.srem(self._ukey(user_id), key)
            elif record.user_id == user_id:
                out.append(record)
        return out

    async def delete_for_user(self, user_id: str, *, keep: str | None = None) -> list[str]:
        keys = [r.key for r in await self.list_for_user(user_id) if r.key != keep]
        for key in keys:
            await self.delete(key)
        return keys

    async def aclose(self) -> None:
        await self._redis.aclose()
