"""Full-text search over articles: title, tags, description and body, ranked by relevance.

``articles.tag_names`` (the article's tag names, space-separated) puts the tags on the article row,
so one row holds everything searched. Then, per engine:

- PostgreSQL: ``articles.search_vector``, a stored generated ``tsvector`` (text search
  configuration ``english``; weights: title A, tags B, description B, body C) and a GIN index on it.
  PostgreSQL recomputes it when one of its columns changes, and only then.
- SQLite: ``articles_fts``, an FTS5 table over ``articles`` (external content: it stores the index,
  not a second copy of the text), kept in step by three triggers.

The column and the triggers keep the index current for every writer; the app only maintains
``tag_names`` (``app/services/articles.py``). None of these objects but ``tag_names`` is in
the models: ``migrations/env.py`` tells ``alembic check`` to leave them alone.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TAG_NAMES_BACKFILL = {
    "postgresql": """
        UPDATE articles SET tag_names = linked.names
        FROM (
            SELECT article_tags.article_id, string_agg(tags.name, ' ' ORDER BY tags.name) AS names
            FROM article_tags JOIN tags ON tags.id = article_tags.tag_id
            GROUP BY article_tags.article_id
        ) AS linked
        WHERE articles.id = linked.article_id
    """,
    "sqlite": """
        UPDATE articles SET tag_names = coalesce((
            SELECT group_concat(name, ' ') FROM (
                SELECT tags.name FROM article_tags JOIN tags ON tags.id = article_tags.tag_id
                WHERE article_tags.article_id = articles.id ORDER BY tags.name
            )
        ), '')
    """,
}

POSTGRESQL_UPGRADE = [
    # Computing the column for existing rows is the backfill.
    """
    ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, title), 'A')
        || setweight(to_tsvector('english'::regconfig, tag_names), 'B')
        || setweight(to_tsvector('english'::regconfig, description), 'B')
        || setweight(to_tsvector('english'::regconfig, body), 'C')
    ) STORED
    """,
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]
POSTGRESQL_DOWNGRADE = [
    "DROP INDEX ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN search_vector",
]

# The columns of articles_fts are, in order, title, tag_names, description, body: bm25() weights
# refer to them by position.
SQLITE_UPGRADE = [
    # porter: English stemming, as PostgreSQL's 'english' configuration; diacritics are kept, as
    # PostgreSQL keeps them ("cafe" does not find "café" on either engine).
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, tag_names, description, body, content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 0'
    )
    """,
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",  # the backfill
    """
    CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, tag_names, description, body)
        VALUES (new.id, new.title, new.tag_names, new.description, new.body);
    END
    """,
    # Deletes cascaded from a user fire it too. An external-content index forgets a row only when
    # told the row's old values.
    """
    CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, tag_names, description, body)
        VALUES ('delete', old.id, old.title, old.tag_names, old.description, old.body);
    END
    """,
    # Only when searched text changed: a favorite (favorites_count) does not re-index the body.
    """
    CREATE TRIGGER articles_fts_after_update AFTER UPDATE OF title, tag_names, description, body
    ON articles
    WHEN old.title IS NOT new.title OR old.tag_names IS NOT new.tag_names
        OR old.description IS NOT new.description OR old.body IS NOT new.body
    BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, tag_names, description, body)
        VALUES ('delete', old.id, old.title, old.tag_names, old.description, old.body);
        INSERT INTO articles_fts(rowid, title, tag_names, description, body)
        VALUES (new.id, new.title, new.tag_names, new.description, new.body);
    END
    """,
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER articles_fts_after_update",
    "DROP TRIGGER articles_fts_after_delete",
    "DROP TRIGGER articles_fts_after_insert",
    "DROP TABLE articles_fts",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("articles", sa.Column("tag_names", sa.Text(), server_default=sa.text("''"), nullable=False))
    op.execute(TAG_NAMES_BACKFILL[dialect])
    for statement in POSTGRESQL_UPGRADE if dialect == "postgresql" else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DOWNGRADE if dialect == "postgresql" else SQLITE_DOWNGRADE:
        op.execute(statement)
    # SQLite's own ALTER TABLE ... DROP COLUMN: a batch copy of `articles` would cascade-delete
    # every tag link, favorite and comment when the old table is dropped (foreign keys are on).
    op.drop_column("articles", "tag_names")
