"""outbound tables: the customer's objects (policies, groups, lines, account codes) as JSON
documents, each line's authorization code (hashed) with its lockout, the audit, and each ended
outbound call's usage (the minute caps count it, usage.py).

A line's number is unique across customers (`line_number`): the switch finds the line, and so
the customer, by the caller's number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime

POLICY = "policy"
GROUP = "group"
LINE = "line"
ACCOUNT_CODE = "account-code"
KINDS = (POLICY, GROUP, LINE, ACCOUNT_CODE)


class Base(DeclarativeBase):
    pass


class ObjectRow(Base):
    __tablename__ = "outbound_objects"
    __table_args__ = (Index("ix_outbound_objects_line", "line_number", unique=True),)

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    line_number: Mapped[str | None] = mapped_column(String(16))  # lines only
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class CodeRow(Base):
    """A line's authorization code: argon2 hash, consecutive failures, locked until."""

    __tablename__ = "outbound_codes"

    line_number: Mapped[str] = mapped_column(String(16), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRow(Base):
    """Who changed what, when, from which session, before and after (codes: only "set")."""

    __tablename__ = "outbound_audit"
    __table_args__ = (Index("ix_outbound_audit_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    session: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class UsageRow(Base):
    """One ended outbound call as traffic reported it (`traffic.delta`); the call id keys it, so
    recording the same call again (a repeated delta, a second outbound process) adds nothing."""

    __tablename__ = "outbound_usage"
    __table_args__ = (Index("ix_outbound_usage_line_ended", "line_number", "ended_at"),)

    call_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    line_number: Mapped[str] = mapped_column(String(16))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    seconds: Mapped[int] = mapped_column(Integer)  # billable talk seconds (0 unanswered)
    minutes: Mapped[int] = mapped_column(Integer)  # ceil(seconds / 60): what the minute caps count
    call_class: Mapped[str | None] = mapped_column(String(32))  # None: a toll-free call
    account_code: Mapped[str | None] = mapped_column(String(16))
