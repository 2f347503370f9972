"""Create the schema: users, follows, articles, tags, article_tags, favorites, comments.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("id", ID, primary_key=True)


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    ]


def _user_fk(column: str, *, primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        column, ID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=primary_key, nullable=False
    )


def _article_fk(column: str, *, primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        column, ID, sa.ForeignKey("articles.id", ondelete="CASCADE"), primary_key=primary_key, nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("image", sa.String(2000), nullable=True),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        *_timestamps(),
        sa.CheckConstraint("token_version >= 0", name=op.f("ck_users_token_version_non_negative")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)

    op.create_table(
        "follows",
        _user_fk("follower_id", primary_key=True),
        _user_fk("followee_id", primary_key=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("follower_id <> followee_id", name=op.f("ck_follows_not_self")),
    )
    op.create_index("ix_follows_followee_id", "follows", ["followee_id"])

    op.create_table(
        "articles",
        _id(),
        sa.Column("slug", sa.String(300), nullable=False),
        sa.Column("title", sa.String(250), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _user_fk("author_id"),
        sa.Column("favorites_count", sa.Integer(), server_default="0", nullable=False),
        *_timestamps(),
        sa.CheckConstraint("favorites_count >= 0", name=op.f("ck_articles_favorites_count_non_negative")),
        sa.UniqueConstraint("slug", name=op.f("uq_articles_slug")),
    )
    op.create_index("ix_articles_created_at_id", "articles", ["created_at", "id"])
    op.create_index("ix_articles_author_id_created_at_id", "articles", ["author_id", "created_at", "id"])

    op.create_table(
        "tags",
        _id(),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("articles_count", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("articles_count >= 0", name=op.f("ck_tags_articles_count_non_negative")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_index("ix_tags_articles_count_name", "tags", ["articles_count", "name"])

    op.create_table(
        "article_tags",
        _article_fk("article_id", primary_key=True),
        sa.Column(
            "tag_id", ID, sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, nullable=False
        ),
    )
    op.create_index("ix_article_tags_tag_id_article_id", "article_tags", ["tag_id", "article_id"])

    op.create_table(
        "favorites",
        _user_fk("user_id", primary_key=True),
        _article_fk("article_id", primary_key=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_favorites_article_id", "favorites", ["article_id"])

    op.create_table(
        "comments",
        _id(),
        _article_fk("article_id"),
        _user_fk("author_id"),
        sa.Column("body", sa.Text(), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_comments_article_id_created_at_id", "comments", ["article_id", "created_at", "id"])
    op.create_index("ix_comments_author_id", "comments", ["author_id"])


def downgrade() -> None:
    for table in ("comments", "favorites", "article_tags", "tags", "articles", "follows", "users"):
        op.drop_table(table)
