"""outbound usage: one row per ended outbound call (the minute caps count it)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbound_usage",
        sa.Column("call_id", sa.String(length=256), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.String(length=16), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("call_class", sa.String(length=32), nullable=True),
        sa.Column("account_code", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index("ix_outbound_usage_line_ended", "outbound_usage", ["line_number", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_outbound_usage_line_ended", table_name="outbound_usage")
    op.drop_table("outbound_usage")
