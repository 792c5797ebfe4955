"""tickets tables: the tickets (TMF621 trouble tickets), their notes, attachments (bytes in the
database, ≤ 5 MB each), the history of every change, the chat transcript ("Talk to us", kept
apart from the notes), and the counter each issuer numbers its tickets from (allocated in the
creating transaction, so a rolled-back ticket leaves no gap).

Relationships are not mapped: the repository reads notes, attachments and history itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from resources.kit.db import UTCDateTime

SEVERITIES = ("critical", "major", "minor", "low")
TICKET_TYPES = ("trouble", "inquiry", "request")
CHANNELS = ("portal", "api", "alarm", "chat")
ENTITY_ROLES = ("alarm", "number", "site", "call", "order")


class Base(DeclarativeBase):
    pass


class CounterRow(Base):
    """The last number an issuer (the number prefix, "T") gave out."""

    __tablename__ = "tickets_counters"

    issuer: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class TicketRow(Base):
    __tablename__ = "tickets_tickets"
    __table_args__ = (
        Index("ix_tickets_tickets_customer_status", "customer_id", "status"),
        Index("ix_tickets_tickets_status_due", "status", "expected_resolution_date"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # "T-000123"
    customer_id: Mapped[str] = mapped_column(String(64))
    resellers: Mapped[list[str]] = mapped_column(JSON)  # the customer's reseller chain, top-most first
    name: Mapped[str] = mapped_column(String(200))  # the subject
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    ticket_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    channel: Mapped[str] = mapped_column(String(16))
    related: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"role", "id", "@referredType"}]
    requested_resolution_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expected_resolution_date: Mapped[datetime] = mapped_column(UTCDateTime())  # the SLA's due time
    assigned_to: Mapped[str | None] = mapped_column(String(200))  # a staff user (login name)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer)


class NoteRow(Base):
    __tablename__ = "tickets_notes"
    __table_args__ = (Index("ix_tickets_notes_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(24), ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    author_kind: Mapped[str] = mapped_column(String(16))  # customer | staff
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    internal: Mapped[bool] = mapped_column(Boolean)  # staff only


class AttachmentRow(Base):
    __tablename__ = "tickets_attachments"
    __table_args__ = (Index("ix_tickets_attachments_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(24), ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))  # sanitised file name
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class HistoryRow(Base):
    """Every change of a ticket: who, when, what kind (created, status, note, attachment,
    severity, assigned), the changed values before and after."""

    __tablename__ = "tickets_history"
    __table_args__ = (Index("ix_tickets_history_ticket", "ticket_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(24), ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ChatMessageRow(Base):
    """One message of a ticket's live chat (chat.py): who wrote it (login name, customer or
    staff, the name shown), the text (trimmed, 1-2000 characters), when."""

    __tablename__ = "tickets_chat_messages"
    __table_args__ = (Index("ix_tickets_chat_messages_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(24), ForeignKey("tickets_tickets.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(200))
    author_kind: Mapped[str] = mapped_column(String(16))  # customer | staff
    name: Mapped[str] = mapped_column(String(200))  # the display name
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
