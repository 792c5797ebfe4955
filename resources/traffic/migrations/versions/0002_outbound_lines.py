"""outbound calls: the replicated calling lines and the calling class of a call

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
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
        "traffic_lines",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("resellers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("traffic_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_class", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("traffic_calls", schema=None) as batch_op:
        batch_op.drop_column("call_class")

    op.drop_table("traffic_lines")
