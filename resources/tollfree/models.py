"""Toll-free tables (`tollfree_*`). No relationships: repository queries are explicit.

One routing record of a target (a TFN or a `*TEMPLATE`) is a `Version`; its lifecycle rows are
`Event`s (lifecycle.py writes them); every change anyone makes is an `AuditRow`. The partial
unique index `ux_tollfree_versions_one_active` lets the database itself refuse a second ACTIVE
version of a target, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime

ONE_ACTIVE_WHERE = "state = 'ACTIVE'"


class Base(DeclarativeBase):
    pass


class Number(Base):
    """A toll-free number assigned to a customer (provider staff assign them)."""

    __tablename__ = "tollfree_numbers"

    tfn: Mapped[str] = mapped_column(String(12), primary_key=True)  # E.164, "+18005550100"
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    reseller_chain: Mapped[list[str]] = mapped_column(JSON, default=list)  # top-most reseller first
    description: Mapped[str] = mapped_column(String(200), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(200))


class SiteRow(Base):
    """A customer's named call-center destination (a trunk)."""

    __tablename__ = "tollfree_sites"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    uri: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(200), default="")


class LabelRow(Base):
    """A customer's named value list, referenced from tree cells as `@NAME`."""

    __tablename__ = "tollfree_labels"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(15), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    values: Mapped[list[str]] = mapped_column(JSON, default=list)


class Template(Base):
    """A named routing tree (`*NAME`) shared by a customer's numbers. Names are unique across
    customers because pointer records and the SCP resolve templates by name."""

    __tablename__ = "tollfree_templates"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)

    name: Mapped[str] = mapped_column(String(16), primary_key=True)  # with the star: "*EASTWEST"
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Version(Base):
    """One routing record of a target: the plan document plus its lifecycle state."""

    __tablename__ = "tollfree_versions"
    __table_args__ = (
        UniqueConstraint("target", "number"),
        Index(
            "ux_tollfree_versions_one_active",
            "target",
            unique=True,
            sqlite_where=text(ONE_ACTIVE_WHERE),
            postgresql_where=text(ONE_ACTIVE_WHERE),
        ),
        Index("ix_tollfree_versions_state_effective", "state", "effective_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    target: Mapped[str] = mapped_column(String(16), index=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # catalog frozen at schedule
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rolled_back_from: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class Event(Base):
    """A state-machine row: one per transition of a version (and one for its creation)."""

    __tablename__ = "tollfree_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("tollfree_versions.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    session: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditRow(Base):
    """Who changed what, when, from which session, with the state before and after."""

    __tablename__ = "tollfree_audit"
    __table_args__ = (Index("ix_tollfree_audit_target_at", "target", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    session: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OriginEntry(Base):
    """Imported NPA-NXX → LATA / state / rate centre data (provider-managed)."""

    __tablename__ = "tollfree_origin"

    npanxx: Mapped[str] = mapped_column(String(6), primary_key=True)
    lata: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[str | None] = mapped_column(String(2))
    rate_center: Mapped[str | None] = mapped_column(String(64))


class PoolEntry(Base):
    """A number waiting in a reseller's pool (the provider put it there); assigning it to a
    customer below that reseller moves it to `tollfree_numbers` (pool.py)."""

    __tablename__ = "tollfree_pool"

    tfn: Mapped[str] = mapped_column(String(12), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), index=True)  # the reseller's org id
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)  # the holder's chain, top-most first
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(200))


class TenancyOrg(Base):
    """The replica of the directory's tenancy tree (`directory.tenancy`, tenancy.py): one row per
    org, replaced as a whole when a different picture arrives, so a restart knows it."""

    __tablename__ = "tollfree_tenancy"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # provider | reseller | customer
    parent_id: Mapped[str | None] = mapped_column(String(64))
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)  # resellers, top-most first
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
