"""Moderation: staff and active flags on users, hidden articles and comments, the audit log.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Existing users are active and not staff: the server defaults fill the new columns.
    op.add_column("users", sa.Column("is_staff", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("articles", sa.Column("hidden_at", TIMESTAMP, nullable=True))
    op.add_column("comments", sa.Column("hidden_at", TIMESTAMP, nullable=True))

    op.create_table(
        "audit_entries",
        sa.Column("id", ID, primary_key=True),
        sa.Column("actor_id", ID, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("actor_username", sa.String(32), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_audit_entries_created_at", "audit_entries", ["created_at"])


def downgrade() -> None:
    op.drop_table("audit_entries")
    op.drop_column("comments", "hidden_at")
    op.drop_column("articles", "hidden_at")
    op.drop_column("users", "is_active")
    op.drop_column("users", "is_staff")
