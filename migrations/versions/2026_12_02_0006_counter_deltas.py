"""Counters without hot rows: pending changes in ``count_deltas``, added to the bases on read.

Writers used to UPDATE the counted row (``counters``' 'articles', ``users.articles_count`` and
``favorites_count``, ``tags.articles_count``, ``articles.favorites_count``) in their transaction,
so every writer of one counter queued on its row until COMMIT. From here they insert one
``count_deltas`` row per change instead; reads add the pending rows to the base column in the same
statement, and a folder in each serving process moves them into the bases (``app/db/counts.py``,
``app/db/folding.py``).

Upgrade: the existing columns become the bases, unchanged (no delta is pending yet), so nothing is
converted. Downgrade: every pending delta is added to its base first, then the table goes, so the
columns hold the exact totals the older code expects.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (kind, table, column, the counted row's key: a column compared with target_id, or a fixed condition)
BASES = (
    ("articles", "counters", "value", "name = 'articles'"),
    ("user_articles", "users", "articles_count", "id"),
    ("user_favorites", "users", "favorites_count", "id"),
    ("tag_articles", "tags", "articles_count", "id"),
    ("article_favorites", "articles", "favorites_count", "id"),
)


def upgrade() -> None:
    op.create_table(
        "count_deltas",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target_id", sa.BigInteger(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
    )
    op.create_index("ix_count_deltas_kind_target_id_delta", "count_deltas", ["kind", "target_id", "delta"])


def downgrade() -> None:
    # Every name below is a constant of this module (BASES), never input.
    for kind, table, column, key in BASES:
        pending = f"(SELECT sum(delta) FROM count_deltas WHERE kind = '{kind}'"  # noqa: S608
        if key == "id":
            rows = f"id IN (SELECT target_id FROM count_deltas WHERE kind = '{kind}')"  # noqa: S608
            added = f"{pending} AND target_id = {table}.id)"
        else:
            rows, added = key, f"coalesce({pending}), 0)"
        op.execute(f"UPDATE {table} SET {column} = {column} + {added} WHERE {rows}")  # noqa: S608
    op.drop_index("ix_count_deltas_kind_target_id_delta", table_name="count_deltas")
    op.drop_table("count_deltas")
