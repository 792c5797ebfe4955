"""events tables: alarms, log, thresholds, audit

Revision ID: 0001
Revises:
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_WHERE = "state != 'cleared'"
CLEARING_WHERE = "clearing_since IS NOT NULL"
KEY = ["customer_id", "alarmed_object", "probable_cause"]


def upgrade() -> None:
    op.create_table(
        "events_alarms",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("resellers", sa.JSON(), nullable=False),
        sa.Column("alarmed_object", sa.String(length=256), nullable=False),
        sa.Column("probable_cause", sa.String(length=64), nullable=False),
        sa.Column("alarm_type", sa.String(length=32), nullable=False),
        sa.Column("perceived_severity", sa.String(length=16), nullable=False),
        sa.Column("specific_problem", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ack_state", sa.String(length=16), nullable=False),
        sa.Column("ack_by", sa.String(length=200), nullable=True),
        sa.Column("ack_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clearing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("correlated", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_events_alarms_open_key",
        "events_alarms",
        KEY,
        unique=True,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    )
    op.create_index("ix_events_alarms_key_cleared", "events_alarms", [*KEY, "cleared_time"])
    op.create_index("ix_events_alarms_customer_raised", "events_alarms", ["customer_id", "raised_time"])
    op.create_index(
        "ix_events_alarms_clearing",
        "events_alarms",
        ["clearing_since"],
        sqlite_where=sa.text(CLEARING_WHERE),
        postgresql_where=sa.text(CLEARING_WHERE),
    )
    op.create_table(
        "events_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("alarm_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("alarm", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_events_log_customer_seq", "events_log", ["customer_id", "seq"])
    op.create_index("ix_events_log_alarm_seq", "events_log", ["alarm_id", "seq"])
    op.create_table(
        "events_thresholds",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("window_seconds", sa.Integer(), nullable=False),
        sa.Column("min_calls", sa.Integer(), nullable=False),
        sa.Column("raise_below", sa.Float(), nullable=False),
        sa.Column("clear_at", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "target", "metric"),
    )
    op.create_table(
        "events_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_audit_customer_at", "events_audit", ["customer_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_events_audit_customer_at", table_name="events_audit")
    op.drop_table("events_audit")
    op.drop_table("events_thresholds")
    op.drop_index("ix_events_log_alarm_seq", table_name="events_log")
    op.drop_index("ix_events_log_customer_seq", table_name="events_log")
    op.drop_table("events_log")
    op.drop_index("ix_events_alarms_clearing", table_name="events_alarms")
    op.drop_index("ix_events_alarms_customer_raised", table_name="events_alarms")
    op.drop_index("ix_events_alarms_key_cleared", table_name="events_alarms")
    op.drop_index("ix_events_alarms_open_key", table_name="events_alarms")
    op.drop_table("events_alarms")
