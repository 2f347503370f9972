"""Counters without hot rows: a base column plus the pending changes in ``count_deltas``.

Shared by ``queries`` (which read them) and ``repositories`` (which write the deltas).

A write never UPDATEs a counter: it inserts one ``count_deltas`` row per change in its own
transaction (inserts never wait on each other; an UPDATE of the counted row made every writer of
that row queue until COMMIT). Every read adds the pending deltas to the base column inside its one
statement (``current``), so a total is exact, and a writer's next read, or its own response, shows
its change. ``app/db/folding.py`` moves committed deltas into the bases in one transaction (deleted
and added together, so a reader sees both or neither), which keeps the pending rows few.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import func, literal, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Article, Counter, Tag, User, count_deltas

ARTICLES_COUNTER = "articles"  # counters.name of the global list's total (visible articles)
GLOBAL = 0  # the target_id of a total with no row of its own


class Count(StrEnum):
    """``count_deltas.kind``: which base column a delta belongs to."""

    ARTICLES = "articles"  # counters.value of 'articles' (target GLOBAL): visible articles
    USER_ARTICLES = "user_articles"  # users.articles_count: the user's visible articles
    USER_FAVORITES = "user_favorites"  # users.favorites_count: the visible articles they favorited
    TAG_ARTICLES = "tag_articles"  # tags.articles_count: visible articles with the tag
    ARTICLE_FAVORITES = "article_favorites"  # articles.favorites_count


@dataclass(frozen=True, slots=True)
class BaseColumn:
    """Where a kind's base lives: ``column`` of the row whose ``key`` is the delta's target (or, for
    a total with no row of its own, whose ``key`` is ``key_value``)."""

    column: InstrumentedAttribute[int]
    key: InstrumentedAttribute[Any]
    key_value: Any = None


BASES: dict[Count, BaseColumn] = {
    Count.ARTICLES: BaseColumn(Counter.value, Counter.name, key_value=ARTICLES_COUNTER),
    Count.USER_ARTICLES: BaseColumn(User.articles_count, User.id),
    Count.USER_FAVORITES: BaseColumn(User.favorites_count, User.id),
    Count.TAG_ARTICLES: BaseColumn(Tag.articles_count, Tag.id),
    Count.ARTICLE_FAVORITES: BaseColumn(Article.favorites_count, Article.id),
}


def pending(kind: Count, target: Any) -> ColumnElement[int]:
    """The sum of the counter's pending deltas (0 without any), as a scalar sub-query: one probe of
    ``ix_count_deltas_kind_target_id_delta``, read from the index alone."""
    total = (
        select(func.sum(count_deltas.c.delta))
        .where(count_deltas.c.kind == literal(kind.value), count_deltas.c.target_id == target)
        .scalar_subquery()
    )
    return func.coalesce(total, 0)


def current(base: Any, kind: Count, target: Any) -> ColumnElement[int]:
    """The exact counter: its base column plus its pending deltas."""
    return cast("ColumnElement[int]", base + pending(kind, target))


def articles_total() -> ColumnElement[int]:
    """The global number of visible articles."""
    base = select(Counter.value).where(Counter.name == ARTICLES_COUNTER).scalar_subquery()
    return func.coalesce(base, 0) + pending(Count.ARTICLES, GLOBAL)
