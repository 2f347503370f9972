"""Counters and ordered indexes so that no list request scans in proportion to the data.

- ``users.articles_count`` and ``users.favorites_count``: exact totals for ``?author=``,
  ``?favorited=`` and (summed over followees) the feed.
- ``counters``: named totals; the row ``articles`` is the global list's total.
- ``article_tags.article_created_at`` and ``favorites.article_created_at``: the article's creation
  time, copied, with indexes ``(tag_id | user_id, article_created_at, article_id)`` that return a
  tag's or a user's newest articles in order, without sorting all of them.

Existing rows are backfilled. On SQLite the user counters are added with ``ALTER TABLE ... ADD
COLUMN`` (their CHECK inline), not by copying the table: a copy would lose the expression index on
``lower(username)``, which SQLAlchemy cannot reflect.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


USER_COUNTERS = ("articles_count", "favorites_count")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


@contextmanager
def _batch(table: str) -> Iterator[BatchOperations]:
    """``batch_alter_table``, quiet about the users' expression index, which SQLite's batch mode
    reflects (through foreign keys) but never copies here: only ``table`` is rebuilt."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table(table) as batch:
            yield batch


def upgrade() -> None:
    for column in USER_COUNTERS:
        if _sqlite():
            op.execute(
                f"ALTER TABLE users ADD COLUMN {column} INTEGER DEFAULT '0' NOT NULL "
                f"CONSTRAINT ck_users_{column}_non_negative CHECK ({column} >= 0)"
            )
        else:
            op.add_column("users", sa.Column(column, sa.Integer(), server_default="0", nullable=False))
            op.create_check_constraint(f"{column}_non_negative", "users", f"{column} >= 0")
    op.execute(
        "UPDATE users SET "
        "articles_count = (SELECT count(*) FROM articles WHERE articles.author_id = users.id), "
        "favorites_count = (SELECT count(*) FROM favorites WHERE favorites.user_id = users.id)"
    )

    op.create_table(
        "counters",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_counters_value_non_negative")),
    )
    op.execute("INSERT INTO counters (name, value) SELECT 'articles', count(*) FROM articles")

    for table, old_index, new_index, owner in (
        (
            "article_tags",
            "ix_article_tags_tag_id_article_id",
            "ix_article_tags_tag_id_article_created_at",
            "tag_id",
        ),
        ("favorites", None, "ix_favorites_user_id_article_created_at", "user_id"),
    ):
        with _batch(table) as batch:
            batch.add_column(sa.Column("article_created_at", TIMESTAMP, nullable=True))
        op.execute(
            f"UPDATE {table} SET article_created_at = "  # noqa: S608 - constant table names
            f"(SELECT created_at FROM articles WHERE articles.id = {table}.article_id)"
        )
        with _batch(table) as batch:
            batch.alter_column("article_created_at", existing_type=TIMESTAMP, nullable=False)
            if old_index:
                batch.drop_index(old_index)
            batch.create_index(new_index, [owner, "article_created_at", "article_id"])


def downgrade() -> None:
    with _batch("favorites") as batch:
        batch.drop_index("ix_favorites_user_id_article_created_at")
        batch.drop_column("article_created_at")
    with _batch("article_tags") as batch:
        batch.drop_index("ix_article_tags_tag_id_article_created_at")
        batch.drop_column("article_created_at")
        batch.create_index("ix_article_tags_tag_id_article_id", ["tag_id", "article_id"])
    op.drop_table("counters")
    if not _sqlite():
        for column in USER_COUNTERS:
            op.drop_constraint(op.f(f"ck_users_{column}_non_negative"), "users", type_="check")
            op.drop_column("users", column)
        return
    # SQLite cannot drop a column that a CHECK names: copy the table, then restore the index the
    # copy loses (SQLAlchemy warns that it cannot reflect it).
    with _batch("users") as batch:
        for column in USER_COUNTERS:
            batch.drop_constraint(op.f(f"ck_users_{column}_non_negative"), type_="check")
            batch.drop_column(column)
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)
