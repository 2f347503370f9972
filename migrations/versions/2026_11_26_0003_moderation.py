"""Moderation: staff and active flags on users, hidden articles and comments, the audit log.

Revision ID: 0003
Revises: 0002
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
VISIBLE = sa.text("hidden_at IS NULL")
VISIBLE_INDEXES = {
    "ix_articles_visible_created_at_id": ["created_at", "id"],
    "ix_articles_visible_author_id_created_at_id": ["author_id", "created_at", "id"],
}


def upgrade() -> None:
    # Existing users are active and not staff: the server defaults fill the new columns.
    op.add_column("users", sa.Column("is_staff", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("articles", sa.Column("hidden_at", TIMESTAMP, nullable=True))
    op.add_column("comments", sa.Column("hidden_at", TIMESTAMP, nullable=True))
    # Lists show visible articles only: their ordered indexes become partial, so the planner reads
    # a page (or each followed author's newest) in order without filtering on the way.
    op.drop_index("ix_articles_created_at_id", table_name="articles")
    for name, columns in VISIBLE_INDEXES.items():
        op.create_index(name, "articles", columns, postgresql_where=VISIBLE, sqlite_where=VISIBLE)

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
    for name in VISIBLE_INDEXES:
        op.drop_index(name, table_name="articles")
    op.create_index("ix_articles_created_at_id", "articles", ["created_at", "id"])
    op.drop_column("articles", "hidden_at")
    op.drop_column("users", "is_active")
    op.drop_column("users", "is_staff")
