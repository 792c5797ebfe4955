"""Browser sessions: opaque id in a `__Host-` cookie, server-side record keyed by its sha256.

The raw id never leaves the cookie and this process's memory; stores see only `key`
(sha256 hex). `ref` (first 32 hex chars of the key) names a session to the user and to the
resources (assertion `sid`). Idle and absolute timeouts come from Config; `last_seen` is
written at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

SESSION_COOKIE = "__Host-sb_session"
TOUCH_INTERVAL = timedelta(seconds=60)

SessionState = Literal["mfa", "active"]


def session_key(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class SessionRecord:
    key: str  # sha256 hex of the raw id
    user_id: str
    state: SessionState
    csrf_token: str
    created_at: datetime
    last_seen: datetime
    ip: str
    user_agent: str
    mfa_verified: bool = False

    @property
    def ref(self) -> str:
        return self.key[:32]

    @property
    def active(self) -> bool:
        return self.state == "active"


class SessionStore(Protocol):
    async def create(self, record: SessionRecord) -> None: ...

    async def get(self, key: str) -> SessionRecord | None: ...

    async def touch(self, key: str, last_seen: datetime) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def list_for_user(self, user_id: str) -> list[SessionRecord]: ...

    async def delete_for_user(self, user_id: str, *, keep: str | None = None) -> list[str]:
        """Delete every session of the user except `keep`; returns the deleted keys."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class NewSession:
    raw_id: str  # goes into the cookie, nowhere else
    record: SessionRecord


class SessionManager:
    """The session rules (timeouts, rotation, throttled touch) over any SessionStore."""

    def __init__(
        self,
        store: SessionStore,
        *,
        idle_seconds: int,
        absolute_seconds: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.idle = timedelta(seconds=idle_seconds)
        self.absolute = timedelta(seconds=absolute_seconds)
        self.absolute_seconds = absolute_seconds
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def start(
        self,
        *,
        user_id: str,
        state: SessionState,
        ip: str,
        user_agent: str,
        mfa_verified: bool = False,
        replaces: SessionRecord | None = None,
        created_at: datetime | None = None,
    ) -> NewSession:
        """A fresh id (rotation): the replaced session, if any, is deleted first."""
        if replaces is not None:
            await self.store.delete(replaces.key)
        now = self.now()
        raw_id = secrets.token_urlsafe(32)
        record = SessionRecord(
            key=session_key(raw_id),
            user_id=user_id,
            state=state,
            csrf_token=secrets.token_urlsafe(32),
            created_at=created_at or now,
            last_seen=now,
            ip=ip[:64],
            user_agent=user_agent[:256],
            mfa_verified=mfa_verified,
        )
        await self.store.create(record)
        return NewSession(raw_id, record)

    async def promote(self, record: SessionRecord, *, ip: str, user_agent: str) -> NewSession:
        """After the second factor: new id, state active, mfa_verified; created_at is kept so the
        absolute timeout still counts from the password step."""
        return await self.start(
            user_id=record.user_id,
            state="active",
            ip=ip,
            user_agent=user_agent,
            mfa_verified=True,
            replaces=record,
            created_at=record.created_at,
        )

    async def load(self, raw_id: str) -> SessionRecord | None:
        if not raw_id or len(raw_id) > 128:
            return None
        key = session_key(raw_id)
        record = await self.store.get(key)
        if record is None:
            return None
        now = self.now()
        if now - record.last_seen > self.idle or now - record.created_at > self.absolute:
            await self.store.delete(key)
            return None
        if now - record.last_seen >= TOUCH_INTERVAL:
            await self.store.touch(key, now)
            record = replace(record, last_seen=now)
        return record

    async def end(self, record: SessionRecord) -> None:
        await self.store.delete(record.key)

    async def list_for_user(self, user_id: str) -> list[SessionRecord]:
        now = self.now()
        live = [
            r
            for r in await self.store.list_for_user(user_id)
            if now - r.last_seen <= self.idle and now - r.created_at <= self.absolute
        ]
        return sorted(live, key=lambda r: r.created_at, reverse=True)

    async def revoke(self, *, user_id: str, ref: str) -> SessionRecord | None:
        """Revoke one of the user's own sessions by its ref; None if no such session."""
        for record in await self.store.list_for_user(user_id):
            if secrets.compare_digest(record.ref, ref):
                await self.store.delete(record.key)
                return record
        return None

    async def revoke_others(self, *, user_id: str, keep: SessionRecord) -> list[str]:
        return await self.store.delete_for_user(user_id, keep=keep.key)
