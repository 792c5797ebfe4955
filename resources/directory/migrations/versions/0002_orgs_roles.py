"""delegated administration: org suspension, built-in roles

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUILTIN_ROLES = ("provider-admin", "reseller-admin", "customer-admin", "customer-user")


def upgrade() -> None:
    with op.batch_alter_table("directory_orgs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspended_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("directory_roles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("builtin", sa.Boolean(), nullable=False, server_default=sa.false()))
    roles = sa.table("directory_roles", sa.column("id", sa.String()), sa.column("builtin", sa.Boolean()))
    op.execute(roles.update().where(roles.c.id.in_(BUILTIN_ROLES)).values(builtin=True))


def downgrade() -> None:
    with op.batch_alter_table("directory_roles", schema=None) as batch_op:
        batch_op.drop_column("builtin")
    with op.batch_alter_table("directory_orgs", schema=None) as batch_op:
        batch_op.drop_column("suspended_by")
        batch_op.drop_column("suspended_at")
