"""traffic tables: calls, 5-minute buckets, the replicated numbers and sites

Revision ID: 0001
Revises:
Create Date: 2026-11-22
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
        "traffic_buckets",
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("site", sa.String(length=256), nullable=False),
        sa.Column("carrier", sa.String(length=16), nullable=False),
        sa.Column("offered", sa.BigInteger(), nullable=False),
        sa.Column("answered", sa.BigInteger(), nullable=False),
        sa.Column("short", sa.BigInteger(), nullable=False),
        sa.Column("abandoned", sa.BigInteger(), nullable=False),
        sa.Column("no_answer", sa.BigInteger(), nullable=False),
        sa.Column("busy", sa.BigInteger(), nullable=False),
        sa.Column("all_trunks_busy", sa.BigInteger(), nullable=False),
        sa.Column("blocked", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("talk_seconds", sa.BigInteger(), nullable=False),
        sa.Column("tta_ms", sa.BigInteger(), nullable=False),
        sa.Column("starts", sa.BigInteger(), nullable=False),
        sa.Column("ends", sa.BigInteger(), nullable=False),
        sa.Column("peak_concurrent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("start", "customer_id", "number", "site", "carrier"),
    )
    op.create_table(
        "traffic_calls",
        sa.Column("call_id", sa.String(length=256), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("resellers", sa.JSON(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("ani", sa.String(length=256), nullable=True),
        sa.Column("site", sa.String(length=256), nullable=True),
        sa.Column("destination", sa.String(length=256), nullable=True),
        sa.Column("uri", sa.String(length=256), nullable=True),
        sa.Column("carrier", sa.String(length=16), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("billable", sa.Integer(), nullable=True),
        sa.Column("sip_code", sa.Integer(), nullable=True),
        sa.Column("q850", sa.Integer(), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("block", sa.String(length=16), nullable=True),
        sa.Column("account_code", sa.String(length=256), nullable=True),
        sa.Column("origin_state", sa.String(length=8), nullable=True),
        sa.Column("origin_lata", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("element", sa.String(length=256), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("key_site", sa.String(length=256), nullable=False),
        sa.Column("key_carrier", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    with op.batch_alter_table("traffic_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_traffic_calls_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_traffic_calls_customer_start", ["customer_id", "start"], unique=False)
        batch_op.create_index(batch_op.f("ix_traffic_calls_number"), ["number"], unique=False)
        batch_op.create_index(
            "ix_traffic_calls_open",
            ["start"],
            unique=False,
            sqlite_where=sa.text("disposition IS NULL"),
            postgresql_where=sa.text("disposition IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_traffic_calls_start"), ["start"], unique=False)

    op.create_table(
        "traffic_numbers",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("resellers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "traffic_sites",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("traffic_sites")
    op.drop_table("traffic_numbers")
    with op.batch_alter_table("traffic_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_traffic_calls_start"))
        batch_op.drop_index(
            "ix_traffic_calls_open",
            sqlite_where=sa.text("disposition IS NULL"),
            postgresql_where=sa.text("disposition IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_traffic_calls_number"))
        batch_op.drop_index("ix_traffic_calls_customer_start")
        batch_op.drop_index(batch_op.f("ix_traffic_calls_customer_id"))

    op.drop_table("traffic_calls")
    op.drop_table("traffic_buckets")
