"""events tables (`events_*`), portable across SQLite and PostgreSQL.

* `events_alarms`: one row per alarm (TMF642). At most one *open* alarm (state not cleared) per
  (customer, alarmed object, probable cause): a partial unique index, so two processes raising
  the same alarm at once cannot both succeed (engine.py re-reads and updates instead).
  `clearing_since` is when the condition was first seen inactive (the hysteresis runs from it);
  `logged_at` when the alarm's last log row was written (the update throttle).
* `events_log`: append-only, one row per change a customer sees (raised, updated, cleared,
  acknowledged, unacknowledged, commented) with the alarm's TMF642 snapshot after it, written in
  the alarm change's transaction. `seq` is the store-and-forward cursor (`GET /api/feed`).
* `events_thresholds`: a customer's quality thresholds (conditions.Threshold), which the
  detectors follow; `events_audit`: who changed them (and the subscriptions), when, from which
  session, before/after.
* `events_subscriptions`: who hears of a customer's alarms — e-mail addresses (any number, one
  row per address) and at most one webhook (a partial unique index), each with a minimum
  severity and the log kinds it wants; `secret` signs the webhook's bodies (it must be usable,
  so it is stored; the API shows it once).
* `events_deliveries`: the durable outbox (notify.py writes it in the alarm change's
  transaction, deliver.py sends it): one row per (log row, matching subscription).
* `events_outbox_mail`: what the demo SMTP sink received (smtp_sink.py), for `/alarms/outbox`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from resources.kit.db import UTCDateTime

OPEN_WHERE = "state != 'cleared'"
CLEARING_WHERE = "clearing_since IS NOT NULL"
WEBHOOK_WHERE = "kind = 'webhook'"
EMAIL_WHERE = "kind = 'email'"


class Base(DeclarativeBase):
    pass


class AlarmRow(Base):
    __tablename__ = "events_alarms"
    __table_args__ = (
        Index(
            "ix_events_alarms_open_key",
            "customer_id",
            "alarmed_object",
            "probable_cause",
            unique=True,
            sqlite_where=text(OPEN_WHERE),
            postgresql_where=text(OPEN_WHERE),
        ),
        # the flap check: the key's latest cleared alarm
        Index(
            "ix_events_alarms_key_cleared", "customer_id", "alarmed_object", "probable_cause", "cleared_time"
        ),
        Index("ix_events_alarms_customer_raised", "customer_id", "raised_time"),
        Index(
            "ix_events_alarms_clearing",
            "clearing_since",
            sqlite_where=text(CLEARING_WHERE),
            postgresql_where=text(CLEARING_WHERE),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    customer_id: Mapped[str] = mapped_column(String(64))
    resellers: Mapped[list[str]] = mapped_column(JSON)
    alarmed_object: Mapped[str] = mapped_column(String(256))
    probable_cause: Mapped[str] = mapped_column(String(64))
    alarm_type: Mapped[str] = mapped_column(String(32))
    perceived_severity: Mapped[str] = mapped_column(String(16))
    specific_problem: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16))
    ack_state: Mapped[str] = mapped_column(String(16))
    ack_by: Mapped[str | None] = mapped_column(String(200))
    ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    event_time: Mapped[datetime] = mapped_column(UTCDateTime())  # the latest observation's `at`
    raised_time: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_time: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clearing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(256))
    occurrences: Mapped[int] = mapped_column(Integer)
    correlated: Mapped[list[str]] = mapped_column(JSON)
    comments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)  # = the number of log rows the alarm has


class LogRow(Base):
    __tablename__ = "events_log"
    __table_args__ = (
        Index("ix_events_log_customer_seq", "customer_id", "seq"),
        Index("ix_events_log_alarm_seq", "alarm_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    alarm_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(200))  # the user who acted; None: the engine
    alarm: Mapped[dict[str, Any]] = mapped_column(JSON)  # TMF642 snapshot after the change


class ThresholdRow(Base):
    __tablename__ = "events_thresholds"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(8), primary_key=True)
    window_seconds: Mapped[int] = mapped_column(Integer)
    min_calls: Mapped[int] = mapped_column(Integer)
    raise_below: Mapped[float] = mapped_column(Float)
    clear_at: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))


class AuditRow(Base):
    """Who changed a threshold, when, from which session, before and after."""

    __tablename__ = "events_audit"
    __table_args__ = (Index("ix_events_audit_customer_at", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    session: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SubscriptionRow(Base):
    """One e-mail address or the webhook that hears of a customer's alarms."""

    __tablename__ = "events_subscriptions"
    __table_args__ = (
        Index(
            "ix_events_subscriptions_webhook",
            "customer_id",
            unique=True,
            sqlite_where=text(WEBHOOK_WHERE),
            postgresql_where=text(WEBHOOK_WHERE),
        ),
        Index(
            "ix_events_subscriptions_email",
            "customer_id",
            "address",
            unique=True,
            sqlite_where=text(EMAIL_WHERE),
            postgresql_where=text(EMAIL_WHERE),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    customer_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # email | webhook
    address: Mapped[str | None] = mapped_column(String(254))  # e-mail
    url: Mapped[str | None] = mapped_column(String(2000))  # webhook
    secret: Mapped[str | None] = mapped_column(String(64))  # webhook: the HMAC key
    min_severity: Mapped[str] = mapped_column(String(16))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the webhook answered 410
    disabled_reason: Mapped[str | None] = mapped_column(String(200))


class DeliveryRow(Base):
    """One notification to send: a log row for one subscription (the durable outbox)."""

    __tablename__ = "events_deliveries"
    __table_args__ = (
        Index("ix_events_deliveries_due", "state", "next_attempt_at"),
        Index("ix_events_deliveries_subscription", "subscription_id", "state", "seq"),
        Index("ix_events_deliveries_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(ForeignKey("events_log.seq"))
    channel: Mapped[str] = mapped_column(String(8))  # email | webhook
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # notify.payload_of
    state: Mapped[str] = mapped_column(String(8))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # set when the row is written (before its log row has a seq): the flush fills `seq` in
    log: Mapped[LogRow] = relationship(lazy="raise")


class MailRow(Base):
    """A message the demo SMTP sink received."""

    __tablename__ = "events_outbox_mail"
    __table_args__ = (Index("ix_events_outbox_mail_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    customer_id: Mapped[str | None] = mapped_column(String(64))  # its X-Switchboard-Customer
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(1000))
    message: Mapped[str] = mapped_column(Text)  # the whole RFC 5322 message
