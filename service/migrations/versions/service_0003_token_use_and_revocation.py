"""Tokens: when each was last used, and when it was revoked (a revoked token stays, so its name is never reused).

Revision ID: service_0003
Revises: service_0002
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "service_0003"
down_revision: str | Sequence[str] | None = "service_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as table:
        table.add_column(sa.Column("last_used_at", sa.String(32), nullable=True))
        table.add_column(sa.Column("revoked_at", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as table:
        table.drop_column("revoked_at")
        table.drop_column("last_used_at")
