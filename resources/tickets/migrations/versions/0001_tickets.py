"""tickets tables: counters, tickets, notes, attachments, history

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


def upgrade() -> None:
    op.create_table(
        "tickets_counters",
        sa.Column("issuer", sa.String(length=16), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer"),
    )
    op.create_table(
        "tickets_tickets",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("resellers", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("ticket_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.Column("requested_resolution_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expected_resolution_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tickets_tickets_customer_status", "tickets_tickets", ["customer_id", "status"])
    op.create_index(
        "ix_tickets_tickets_status_due", "tickets_tickets", ["status", "expected_resolution_date"]
    )
    op.create_table(
        "tickets_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=24), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tickets_notes_ticket", "tickets_notes", ["ticket_id", "id"])
    op.create_table(
        "tickets_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tickets_attachments_ticket", "tickets_attachments", ["ticket_id", "id"])
    op.create_table(
        "tickets_history",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets_tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_tickets_history_ticket", "tickets_history", ["ticket_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_tickets_history_ticket", table_name="tickets_history")
    op.drop_table("tickets_history")
    op.drop_index("ix_tickets_attachments_ticket", table_name="tickets_attachments")
    op.drop_table("tickets_attachments")
    op.drop_index("ix_tickets_notes_ticket", table_name="tickets_notes")
    op.drop_table("tickets_notes")
    op.drop_index("ix_tickets_tickets_status_due", table_name="tickets_tickets")
    op.drop_index("ix_tickets_tickets_customer_status", table_name="tickets_tickets")
    op.drop_table("tickets_tickets")
    op.drop_table("tickets_counters")
