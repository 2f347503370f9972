"""``articles.body_html``: each article's body rendered to sanitised HTML when it is written.

Showing an article used to render its Markdown on every view, in the event loop; now the writer
renders it once (``app/markdown.py``, in a worker thread, before its transaction) and pages read the
stored HTML. This migration renders the rows written before, in batches of ``BATCH`` articles by id
(keyset), so a large table is never loaded into memory at once. It renders with the application's
current renderer, as the app itself would on the next edit.

The column has a server default (``''``), so processes of the previous release, which do not know
it, can still insert articles while the release rolls; the page renders a body whose HTML is empty
(``app/web/pages/article.py``). Downgrading drops the column: the Markdown in ``body`` is the source
and is never changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.markdown import render_markdown

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 200
NEXT_BATCH = sa.text("SELECT id, body FROM articles WHERE id > :after ORDER BY id LIMIT :size")
STORE = sa.text("UPDATE articles SET body_html = :body_html WHERE id = :id")


def upgrade() -> None:
    op.add_column("articles", sa.Column("body_html", sa.Text(), server_default=sa.text("''"), nullable=False))
    connection = op.get_bind()
    after = 0
    while rows := connection.execute(NEXT_BATCH, {"after": after, "size": BATCH}).all():
        connection.execute(STORE, [{"id": id_, "body_html": render_markdown(body)} for id_, body in rows])
        after = rows[-1].id


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on SQLite too (3.35+), not batch mode's copy of the table, which
    # would lose the full-text index's triggers on it (migration 0004).
    op.drop_column("articles", "body_html")
