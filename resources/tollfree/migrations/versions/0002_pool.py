"""number pools and the tenancy replica

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
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
        "tollfree_pool",
        sa.Column("tfn", sa.String(length=12), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("tfn"),
    )
    with op.batch_alter_table("tollfree_pool", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tollfree_pool_holder"), ["holder"], unique=False)

    op.create_table(
        "tollfree_tenancy",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("tollfree_tenancy")
    with op.batch_alter_table("tollfree_pool", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tollfree_pool_holder"))

    op.drop_table("tollfree_pool")
