"""initial directory tables

Revision ID: 0001
Revises:
Create Date: 2026-01-01
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
        "directory_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_username", sa.String(length=64), nullable=True),
        sa.Column("org_id", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("directory_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_directory_audit_event"), ["event"], unique=False)
        batch_op.create_index("ix_directory_audit_org_at", ["org_id", "at"], unique=False)

    op.create_table(
        "directory_orgs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("brand", sa.String(length=40), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["directory_orgs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("directory_orgs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_orgs_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "directory_roles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["directory_orgs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("directory_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_roles_org_id"), ["org_id"], unique=False)

    op.create_table(
        "directory_users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mfa_secret", sa.Text(), nullable=True),
        sa.Column("mfa_enabled", sa.Boolean(), nullable=False),
        sa.Column("mfa_last_step", sa.BigInteger(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["directory_orgs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("directory_users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_users_org_id"), ["org_id"], unique=False)

    op.create_table(
        "directory_api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["directory_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("directory_api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "directory_role_entitlements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["role_id"], ["directory_roles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("role_id", "action"),
    )
    op.create_table(
        "directory_user_entitlements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["directory_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "action"),
    )
    with op.batch_alter_table("directory_user_entitlements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_user_entitlements_user_id"), ["user_id"], unique=False)

    op.create_table(
        "directory_user_roles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["role_id"], ["directory_roles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["directory_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "role_id"),
    )


def downgrade() -> None:

    op.drop_table("directory_user_roles")
    with op.batch_alter_table("directory_user_entitlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_user_entitlements_user_id"))

    op.drop_table("directory_user_entitlements")
    op.drop_table("directory_role_entitlements")
    with op.batch_alter_table("directory_api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_api_tokens_user_id"))

    op.drop_table("directory_api_tokens")
    with op.batch_alter_table("directory_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_users_org_id"))

    op.drop_table("directory_users")
    with op.batch_alter_table("directory_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_roles_org_id"))

    op.drop_table("directory_roles")
    with op.batch_alter_table("directory_orgs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_orgs_parent_id"))

    op.drop_table("directory_orgs")
    with op.batch_alter_table("directory_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_directory_audit_org_at")
        batch_op.drop_index(batch_op.f("ix_directory_audit_event"))
        batch_op.drop_index(batch_op.f("ix_directory_audit_at"))

    op.drop_table("directory_audit")
