"""brand assets belong to each org that uploaded them: primary key (org_id, sha256)

Before, the first org to upload some bytes owned them and a second org uploading the same image
got the first one's row — which it could then not use. Each org now keeps its own row (a logo
is at most 256 KiB); the bytes under one sha256 are the same whoever stored them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = "sha256, org_id, kind, content_type, width, height, size, data, created_at, created_by"


def _assets_table(name: str, pk: str, *key: str) -> None:
    op.create_table(
        name,
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
        sa.PrimaryKeyConstraint(*key, name=pk),
    )


def _swap(index: str, column: str) -> None:
    op.execute(
        f"INSERT INTO directory_brand_assets_next ({COLUMNS}) SELECT {COLUMNS} FROM directory_brand_assets"  # noqa: S608 - constants
    )
    op.drop_table("directory_brand_assets")
    op.rename_table("directory_brand_assets_next", "directory_brand_assets")
    op.create_index(index, "directory_brand_assets", [column], unique=False)


def upgrade() -> None:
    op.drop_index("ix_directory_brand_assets_org_id", table_name="directory_brand_assets")
    _assets_table("directory_brand_assets_next", "pk_directory_brand_assets_by_org", "org_id", "sha256")
    _swap("ix_directory_brand_assets_sha256", "sha256")


def downgrade() -> None:
    """One row per sha256 again: the earliest upload keeps it."""
    op.drop_index("ix_directory_brand_assets_sha256", table_name="directory_brand_assets")
    op.execute(
        "DELETE FROM directory_brand_assets AS a WHERE EXISTS (SELECT 1 FROM directory_brand_assets AS o"
        " WHERE o.sha256 = a.sha256 AND (o.created_at < a.created_at"
        " OR (o.created_at = a.created_at AND o.org_id < a.org_id)))"
    )
    _assets_table("directory_brand_assets_next", "pk_directory_brand_assets_by_sha", "sha256")
    _swap("ix_directory_brand_assets_org_id", "org_id")
