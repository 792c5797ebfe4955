"""initial tollfree tables

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
        "tollfree_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tollfree_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tollfree_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tollfree_audit_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_tollfree_audit_target_at", ["target", "at"], unique=False)

    op.create_table(
        "tollfree_labels",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=15), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "name"),
    )
    op.create_table(
        "tollfree_numbers",
        sa.Column("tfn", sa.String(length=12), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("reseller_chain", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("tfn"),
    )
    with op.batch_alter_table("tollfree_numbers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tollfree_numbers_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "tollfree_origin",
        sa.Column("npanxx", sa.String(length=6), nullable=False),
        sa.Column("lata", sa.String(length=5), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("rate_center", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("npanxx"),
    )
    op.create_table(
        "tollfree_sites",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("uri", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "name"),
    )
    op.create_table(
        "tollfree_templates",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("customer_id", "name"),
    )
    with op.batch_alter_table("tollfree_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tollfree_templates_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "tollfree_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("issues", sa.JSON(), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rolled_back_from", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target", "number"),
    )
    with op.batch_alter_table("tollfree_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tollfree_versions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_tollfree_versions_state_effective", ["state", "effective_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tollfree_versions_target"), ["target"], unique=False)
        batch_op.create_index(
            "ux_tollfree_versions_one_active",
            ["target"],
            unique=True,
            sqlite_where=sa.text("state = 'ACTIVE'"),
            postgresql_where=sa.text("state = 'ACTIVE'"),
        )

    op.create_table(
        "tollfree_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version_id", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=10), nullable=True),
        sa.Column("to_state", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("session", sa.String(length=128), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["tollfree_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tollfree_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tollfree_events_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tollfree_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tollfree_events_version_id"))

    op.drop_table("tollfree_events")
    with op.batch_alter_table("tollfree_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_tollfree_versions_one_active",
            sqlite_where=sa.text("state = 'ACTIVE'"),
            postgresql_where=sa.text("state = 'ACTIVE'"),
        )
        batch_op.drop_index(batch_op.f("ix_tollfree_versions_target"))
        batch_op.drop_index("ix_tollfree_versions_state_effective")
        batch_op.drop_index(batch_op.f("ix_tollfree_versions_customer_id"))

    op.drop_table("tollfree_versions")
    with op.batch_alter_table("tollfree_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tollfree_templates_customer_id"))

    op.drop_table("tollfree_templates")
    op.drop_table("tollfree_sites")
    op.drop_table("tollfree_origin")
    with op.batch_alter_table("tollfree_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tollfree_numbers_customer_id"))

    op.drop_table("tollfree_numbers")
    op.drop_table("tollfree_labels")
    with op.batch_alter_table("tollfree_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_tollfree_audit_target_at")
        batch_op.drop_index(batch_op.f("ix_tollfree_audit_customer_id"))
        batch_op.drop_index(batch_op.f("ix_tollfree_audit_at"))

    op.drop_table("tollfree_audit")
