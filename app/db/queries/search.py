"""Full-text search over articles: which articles match a search, and how well, on each engine.

The index is made by migration 0004 and kept current by the database itself:

- PostgreSQL: ``articles.search_vector``, a generated ``tsvector`` (configuration ``english``;
  title A, tags B, description B, body C) with a GIN index. The search text goes to
  ``websearch_to_tsquery``, which accepts any input.
- SQLite: ``articles_fts``, an FTS5 table over the same four columns (Porter stemming), which
  triggers on ``articles`` keep in step. FTS5 has a query language of its own that rejects
  malformed input, so ``fts5_query`` rewrites the search into it, quoting every term.

Both take the same syntax, that of ``websearch_to_tsquery``: words (all must match, in any form
the stemmer relates: "dragons" finds "dragon"), ``"quoted phrases"``, ``-word`` to exclude, and
``or`` between alternatives. Anything else is punctuation between words. What differs:
PostgreSQL ignores English stop words ("the", "of"), SQLite matches them like any word; and a
search made only of exclusions finds everything without them on PostgreSQL, nothing on SQLite.

The columns live outside the models, so they are named here as plain SQL.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Float, column, false, func, literal, literal_column, select, table
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Article

CONFIGURATION = "english"
# Relevance weights of the FTS5 columns, in their order (title, tag_names, description, body);
# proportional to PostgreSQL's default weights of A, B, B and C (1.0, 0.4, 0.4, 0.2).
FTS5_WEIGHTS = (5.0, 2.0, 2.0, 1.0)

_search_vector: ColumnElement[Any] = literal_column("articles.search_vector")
_fts = table("articles_fts", column("rowid"), column("articles_fts"))

# A quoted phrase (its closing quote optional), or a run of anything but space and quotes.
_TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def matches(dialect: str, search: str) -> ColumnElement[bool]:
    """True for the articles that match ``search``."""
    if dialect == "postgresql":
        return _search_vector.bool_op("@@")(_tsquery(search))
    query = fts5_query(search)
    if query is None:
        return false()
    return Article.id.in_(select(_fts.c.rowid).where(_fts.c.articles_fts.match(query)))


def relevance(dialect: str, search: str) -> ColumnElement[float]:
    """How well an article matches ``search``: higher is better (only meaningful where it matches)."""
    if dialect == "postgresql":
        return func.ts_rank(_search_vector, _tsquery(search), type_=Float)
    query = fts5_query(search)
    if query is None:
        return literal(0.0, Float)
    # bm25() is lower for better matches, and answers only inside a query on the FTS5 table.
    return (
        select(-func.bm25(literal_column("articles_fts"), *FTS5_WEIGHTS, type_=Float))
        .where(_fts.c.articles_fts.match(query), _fts.c.rowid == Article.id)
        .scalar_subquery()
    )


def _tsquery(search: str) -> Any:
    return func.websearch_to_tsquery(literal_column(f"'{CONFIGURATION}'::regconfig"), search)


def fts5_query(search: str) -> str | None:
    """The search as an FTS5 query, or ``None`` when it holds no word at all.

    Every term becomes an FTS5 string (``"..."``; a term never holds a quote), which FTS5 never
    parses as syntax, so no input is an error; the tokenizer splits it into words as it does the
    text. Terms without a letter or digit are left out: they hold no word to look for.
    """
    alternatives: list[str] = []
    required: list[str] = []
    excluded: list[str] = []
    after_or = False

    def close_alternative() -> None:
        # FTS5 cannot ask for "everything but": an alternative of exclusions only is dropped.
        if required:
            group = " ".join(required) + "".join(f" NOT {term}" for term in excluded)
            alternatives.append(f"({group})")
        required.clear()
        excluded.clear()

    for match in _TERM.finditer(search):
        phrase_minus, phrase, word_minus, word = match.groups()
        text = phrase if word is None else word
        if not _LETTER_OR_DIGIT.search(text):
            continue
        if word is not None and word.lower() == "or" and not word_minus:
            after_or = bool(required or excluded)
            continue
        if after_or:
            close_alternative()
            after_or = False
        quoted = f'"{text}"'
        (excluded if (phrase_minus or word_minus) else required).append(quoted)
    close_alternative()
    return " OR ".join(alternatives) or None
