"""SessionStore on the gateway's SQL database (table `gateway_sessions`)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.models import SessionRow
from gateway.sessions import SessionRecord, SessionState
from resources.kit.db import unit_of_work


def _record(row: SessionRow) -> SessionRecord:
    return SessionRecord(
        key=row.key,
        user_id=row.user_id,
        state=cast(SessionState, row.state),
        csrf_token=row.csrf_token,
        created_at=row.created_at,
        last_seen=row.last_seen,
        ip=row.ip,
        user_agent=row.user_agent,
        mfa_verified=row.mfa_verified,
    )


class SqlSessionStore:
    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self._maker = maker

    async def create(self, record: SessionRecord) -> None:
        async with unit_of_work(self._maker, write=True) as db:
            db.add(
                SessionRow(
                    key=record.key,
                    user_id=record.user_id,
                    state=record.state,
                    csrf_token=record.csrf_token,
                    created_at=record.created_at,
                    last_seen=record.last_seen,
                    ip=record.ip,
                    user_agent=record.user_agent,
                    mfa_verified=record.mfa_verified,
                )
            )

    async def get(self, key: str) -> SessionRecord | None:
        async with unit_of_work(self._maker, write=False) as db:
            row = await db.get(SessionRow, key)
            return None if row is None else _record(row)

    async def touch(self, key: str, last_seen: datetime) -> None:
        async with unit_of_work(self._maker, write=True) as db:
            await db.execute(update(SessionRow).where(SessionRow.key == key).values(last_seen=last_seen))

    async def delete(self, key: str) -> None:
        async with unit_of_work(self._maker, write=True) as db:
            await db.execute(delete(SessionRow).where(SessionRow.key == key))

    async def list_for_user(self, user_id: str) -> list[SessionRecord]:
        async with unit_of_work(self._maker, write=False) as db:
            rows = (await db.scalars(select(SessionRow).where(SessionRow.user_id == user_id))).all()
            return [_record(r) for r in rows]

    async def delete_for_user(self, user_id: str, *, keep: str | None = None) -> list[str]:
        async with unit_of_work(self._maker, write=True) as db:
            query = select(SessionRow.key).where(SessionRow.user_id == user_id)
            if keep is not None:
                query = query.where(SessionRow.key != keep)
            keys = list((await db.scalars(query)).all())
            if keys:
                await db.execute(delete(SessionRow).where(SessionRow.key.in_(keys)))
            return keys

    async def purge_expired(self, *, idle_before: datetime, created_before: datetime) -> int:
        """Housekeeping: drop rows past either timeout (reads already refuse them)."""
        async with unit_of_work(self._maker, write=True) as db:
            query = select(SessionRow.key).where(
                (SessionRow.last_seen < idle_before) | (SessionRow.created_at < created_before)
            )
            keys = list((await db.scalars(query)).all())
            if keys:
                await db.execute(delete(SessionRow).where(SessionRow.key.in_(keys)))
            return len(keys)

    async def aclose(self) -> None:
        return None
