"""gateway_sessions

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_sessions",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(256), nullable=False),
        sa.Column("mfa_verified", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_gateway_sessions_user_id", "gateway_sessions", ["user_id"])
    op.create_index("ix_gateway_sessions_last_seen", "gateway_sessions", ["last_seen"])


def downgrade() -> None:
    op.drop_index("ix_gateway_sessions_last_seen", table_name="gateway_sessions")
    op.drop_index("ix_gateway_sessions_user_id", table_name="gateway_sessions")
    op.drop_table("gateway_sessions")
