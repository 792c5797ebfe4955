"""Traffic tables (`traffic_*`), portable across SQLite and PostgreSQL (docs/traffic-contracts.md).

* `traffic_calls`: one row per call id, the merged state of every report (the CDR once ended).
  `seen` = 0 marks a placeholder a PostgreSQL writer inserted to lock a new call id before it
  merges it (store.py); such a row never survives a commit.
* `traffic_buckets`: counters per 5-minute bucket and Key, one BigInteger column per FIELDS name,
  incremented by upserts; `peak_concurrent` raised by `max`.
* `traffic_numbers`, `traffic_sites`: the toll-free resource's picture, persisted so a restarted
  traffic process knows numbers before toll-free speaks.
* `traffic_lines`: the outbound resource's calling lines (`outbound.lines`), persisted likewise.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Float, Index, Integer, String, Table, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime
from resources.traffic.model import FIELDS

TEXT = 256  # the wire caps every string at 256 characters
OPEN_WHERE = "disposition IS NULL"


class Base(DeclarativeBase):
    pass


class CallRow(Base):
    __tablename__ = "traffic_calls"
    __table_args__ = (
        Index("ix_traffic_calls_customer_start", "customer_id", "start"),
        # the stale-call sweeper's scan: open calls by seizure
        Index(
            "ix_traffic_calls_open",
            "start",
            sqlite_where=text(OPEN_WHERE),
            postgresql_where=text(OPEN_WHERE),
        ),
    )

    call_id: Mapped[str] = mapped_column(String(TEXT), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    resellers: Mapped[list[str]] = mapped_column(JSON)
    number: Mapped[str] = mapped_column(String(16), index=True)
    ani: Mapped[str | None] = mapped_column(String(TEXT))
    site: Mapped[str | None] = mapped_column(String(TEXT))
    destination: Mapped[str | None] = mapped_column(String(TEXT))
    uri: Mapped[str | None] = mapped_column(String(TEXT))
    carrier: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[list[str]] = mapped_column(JSON)
    start: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    answer: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration: Mapped[float | None] = mapped_column(Float)
    billable: Mapped[int | None] = mapped_column(Integer)
    sip_code: Mapped[int | None] = mapped_column(Integer)
    q850: Mapped[int | None] = mapped_column(Integer)
    disposition: Mapped[str | None] = mapped_column(String(16))
    block: Mapped[str | None] = mapped_column(String(16))
    account_code: Mapped[str | None] = mapped_column(String(TEXT))
    origin_state: Mapped[str | None] = mapped_column(String(8))
    origin_lata: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(TEXT))
    call_class: Mapped[str | None] = mapped_column(String(32))  # outbound calls: the calling class
    element: Mapped[str] = mapped_column(String(TEXT))
    seen: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    key_site: Mapped[str] = mapped_column(String(TEXT))  # the grain's site, "" for none
    key_carrier: Mapped[str] = mapped_column(String(16))  # the grain's carrier, "" for none
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _bucket_table() -> Table:
    columns: list[Column[object]] = [
        Column("start", UTCDateTime(), primary_key=True),
        Column("customer_id", String(64), primary_key=True),
        Column("number", String(16), primary_key=True),
        Column("site", String(TEXT), primary_key=True),
        Column("carrier", String(16), primary_key=True),
    ]
    columns += [Column(name, BigInteger(), nullable=False, default=0) for name in FIELDS]
    columns.append(Column("peak_concurrent", Integer(), nullable=False, default=0))
    return Table("traffic_buckets", Base.metadata, *columns)


bucket_table = _bucket_table()
call_table: Table = CallRow.__table__  # type: ignore[assignment]


class NumberRow(Base):
    __tablename__ = "traffic_numbers"

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    resellers: Mapped[list[str]] = mapped_column(JSON)


class SiteRow(Base):
    __tablename__ = "traffic_sites"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    uri: Mapped[str] = mapped_column(String(TEXT))


class LineRow(Base):
    __tablename__ = "traffic_lines"

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    resellers: Mapped[list[str]] = mapped_column(JSON)
