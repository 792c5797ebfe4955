"""enterprise sign-in: an OpenID Connect identity provider per org, and linked identities

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_sso",
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("default_roles", sa.JSON(), nullable=False),
        sa.Column("role_mapping", sa.JSON(), nullable=False),
        sa.Column("passwords_disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["directory_orgs.id"]),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "directory_sso_identities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signin_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["directory_orgs.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["directory_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "subject", name="uq_directory_sso_identities_iss_sub"),
    )
    op.create_index("ix_directory_sso_identities_org_id", "directory_sso_identities", ["org_id"])
    op.create_index("ix_directory_sso_identities_user_id", "directory_sso_identities", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_directory_sso_identities_user_id", table_name="directory_sso_identities")
    op.drop_index("ix_directory_sso_identities_org_id", table_name="directory_sso_identities")
    op.drop_table("directory_sso_identities")
    op.drop_table("directory_sso")
