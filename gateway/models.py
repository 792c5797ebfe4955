"""The gateway's own tables (`gateway_*`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class SessionRow(Base):
    __tablename__ = "gateway_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the raw id
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(8))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ip: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(256))
    mfa_verified: Mapped[bool] = mapped_column(Boolean, default=False)
