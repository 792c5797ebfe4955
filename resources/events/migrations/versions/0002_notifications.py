"""events notifications: subscriptions, the delivery outbox, the demo sink's mail

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-15
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WEBHOOK_WHERE = "kind = 'webhook'"
EMAIL_WHERE = "kind = 'email'"


def upgrade() -> None:
    op.create_table(
        "events_subscriptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("secret", sa.String(length=64), nullable=True),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_events_subscriptions_webhook",
        "events_subscriptions",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text(WEBHOOK_WHERE),
        postgresql_where=sa.text(WEBHOOK_WHERE),
    )
    op.create_index(
        "ix_events_subscriptions_email",
        "events_subscriptions",
        ["customer_id", "address"],
        unique=True,
        sqlite_where=sa.text(EMAIL_WHERE),
        postgresql_where=sa.text(EMAIL_WHERE),
    )
    op.create_table(
        "events_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["seq"], ["events_log.seq"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_deliveries_due", "events_deliveries", ["state", "next_attempt_at"])
    op.create_index(
        "ix_events_deliveries_subscription", "events_deliveries", ["subscription_id", "state", "seq"]
    )
    op.create_index("ix_events_deliveries_customer", "events_deliveries", ["customer_id", "id"])
    op.create_table(
        "events_outbox_mail",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("mail_from", sa.String(length=320), nullable=False),
        sa.Column("rcpt_to", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_events_outbox_mail_customer", "events_outbox_mail", ["customer_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_outbox_mail_customer", table_name="events_outbox_mail")
    op.drop_table("events_outbox_mail")
    op.drop_index("ix_events_deliveries_customer", table_name="events_deliveries")
    op.drop_index("ix_events_deliveries_subscription", table_name="events_deliveries")
    op.drop_index("ix_events_deliveries_due", table_name="events_deliveries")
    op.drop_table("events_deliveries")
    op.drop_index("ix_events_subscriptions_email", table_name="events_subscriptions")
    op.drop_index("ix_events_subscriptions_webhook", table_name="events_subscriptions")
    op.drop_table("events_subscriptions")
