"""callcenter tables: every revision of every site and distribution, and the audit.

Nothing is updated in place except a revision's `cancelled` flag: the configuration in effect
at any instant is computed from the revisions (timeline.py), so the history is the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime

SITE = "site"
DISTRIBUTION = "distribution"
KINDS = (SITE, DISTRIBUTION)


class Base(DeclarativeBase):
    pass


class RevisionRow(Base):
    """One numbered, effective-dated change of a customer's site or distribution; `document`
    None removes it from `effective_at` on."""

    __tablename__ = "callcenter_revisions"
    __table_args__ = (Index("ix_callcenter_revisions_customer_kind", "customer_id", "kind"),)

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    created_by_name: Mapped[str] = mapped_column(String(200))


class AuditRow(Base):
    """Who changed what, when, from which session, with what was in effect before and after."""

    __tablename__ = "callcenter_audit"
    __table_args__ = (Index("ix_callcenter_audit_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    session: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
