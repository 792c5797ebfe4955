"""brand editor: brand versions and uploaded brand assets

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_DRAFT = "state = 'DRAFT'"
ONE_PUBLISHED = "state = 'PUBLISHED'"


def upgrade() -> None:
    op.create_table(
        "directory_brand_versions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("rolled_back_from", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["directory_orgs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "version"),
    )
    with op.batch_alter_table("directory_brand_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_brand_versions_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ux_directory_brand_versions_one_draft",
            ["org_id"],
            unique=True,
            sqlite_where=sa.text(ONE_DRAFT),
            postgresql_where=sa.text(ONE_DRAFT),
        )
        batch_op.create_index(
            "ux_directory_brand_versions_one_published",
            ["org_id"],
            unique=True,
            sqlite_where=sa.text(ONE_PUBLISHED),
            postgresql_where=sa.text(ONE_PUBLISHED),
        )

    op.create_table(
        "directory_brand_assets",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["directory_orgs.id"]),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("directory_brand_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_brand_assets_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directory_brand_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_brand_assets_org_id"))
    op.drop_table("directory_brand_assets")
    with op.batch_alter_table("directory_brand_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "ux_directory_brand_versions_one_published",
            sqlite_where=sa.text(ONE_PUBLISHED),
            postgresql_where=sa.text(ONE_PUBLISHED),
        )
        batch_op.drop_index(
            "ux_directory_brand_versions_one_draft",
            sqlite_where=sa.text(ONE_DRAFT),
            postgresql_where=sa.text(ONE_DRAFT),
        )
        batch_op.drop_index(batch_op.f("ix_directory_brand_versions_org_id"))
    op.drop_table("directory_brand_versions")
