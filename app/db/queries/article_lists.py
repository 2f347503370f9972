"""Lists of articles and the feed, in ONE statement whatever the page size and the data size.

The page's ids come from an index in order (no sort of everything that matched), the total from a
counter (``app/db/counts.py``), and each row brings its author, "following" and "favorited" flags and its tags
(``articles.view_columns``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, String, bindparam, cast, func, select, true
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import Subquery

from app import domain
from app.db.counts import Count, articles_total, current
from app.db.direct import RowReader
from app.db.models import Article, ArticleTag, Favorite, Follow, Tag, User
from app.db.queries import search
from app.db.queries.articles import to_view, view_columns
from app.db.queries.viewer import Viewer, viewer_params


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Which articles a list shows. ``feed_of`` restricts to authors that user follows; ``search``
    to full-text matches (see ``search.py``), then listed best match first."""

    tag: str | None = None
    author: str | None = None
    favorited_by: str | None = None
    feed_of: int | None = None
    search: str | None = None

    def used(self) -> tuple[str, ...]:
        values = (("tag", self.tag), ("author", self.author), ("favorited_by", self.favorited_by))
        given = (*values, ("feed_of", self.feed_of), ("search", self.search))
        return tuple(name for name, value in given if value is not None)


# Statements are built once per shape (which filters, signed in or not, engine) with bound
# parameters, and reused: building and hashing a statement per request cost more than running it.
TAG = bindparam("tag", type_=String)
AUTHOR = bindparam("author", type_=String)  # lower-cased
FAVORITED_BY = bindparam("favorited_by", type_=String)  # lower-cased
FEED_OF = bindparam("feed_of", type_=BigInteger)
LIMIT = bindparam("limit", type_=Integer)
OFFSET = bindparam("offset", type_=Integer)
PAGE_END = bindparam("page_end", type_=Integer)


def _params(filters: ArticleFilter, viewer: Viewer | None, *, limit: int, offset: int) -> dict[str, Any]:
    return {
        "tag": filters.tag,
        "author": filters.author.lower() if filters.author is not None else None,
        "favorited_by": filters.favorited_by.lower() if filters.favorited_by is not None else None,
        "feed_of": filters.feed_of,
        **viewer_params(viewer),
        "limit": limit,
        "offset": offset,
        "page_end": limit + offset,
    }


def _user_id_by_username(username: BindParameter[str]) -> Any:
    return select(User.id).where(func.lower(User.username) == username).scalar_subquery()


def _conditions(used: tuple[str, ...], dialect: str, search_text: str | None) -> list[ColumnElement[bool]]:
    # Moderation: articles hidden by staff are in no list, feed or count, for anyone (their author
    # still opens them by slug). Every list path applies this rule; the counters count only
    # visible articles (``repositories.articles.set_hidden``).
    conditions: list[ColumnElement[bool]] = [Article.hidden_at.is_(None)]
    if search_text is not None:
        conditions.append(search.matches(dialect, search_text))
    if "tag" in used:
        tagged = select(ArticleTag.article_id).join(Tag, Tag.id == ArticleTag.tag_id).where(Tag.name == TAG)
        conditions.append(Article.id.in_(tagged))
    if "author" in used:
        conditions.append(Article.author_id == _user_id_by_username(AUTHOR))
    if "favorited_by" in used:
        favorites = select(Favorite.article_id).where(Favorite.user_id == _user_id_by_username(FAVORITED_BY))
        conditions.append(Article.id.in_(favorites))
    if "feed_of" in used:
        followed = select(Follow.followee_id).where(Follow.follower_id == FEED_OF)
        conditions.append(Article.author_id.in_(followed))
    return conditions


def _total(used: tuple[str, ...], dialect: str, search_text: str | None) -> ColumnElement[int]:
    """The exact number of matching articles, from a counter (base plus pending deltas, see
    ``app/db/counts.py``) when one filter (or none) is used."""
    query: Select[Any]
    if not used:
        return articles_total()
    if used == ("tag",):
        query = select(current(Tag.articles_count, Count.TAG_ARTICLES, Tag.id)).where(Tag.name == TAG)
    elif used == ("author",):
        user_articles = current(User.articles_count, Count.USER_ARTICLES, User.id)
        query = select(user_articles).where(func.lower(User.username) == AUTHOR)
    elif used == ("favorited_by",):
        user_favorites = current(User.favorites_count, Count.USER_FAVORITES, User.id)
        query = select(user_favorites).where(func.lower(User.username) == FAVORITED_BY)
    elif used == ("feed_of",):
        query = (
            # sum() of a bigint is a numeric on PostgreSQL: cast back, for an int on every engine.
            select(cast(func.sum(current(User.articles_count, Count.USER_ARTICLES, User.id)), BigInteger))
            .join(Follow, Follow.followee_id == User.id)
            .where(Follow.follower_id == FEED_OF)
        )
    else:  # filters combined or a search: rare, and bounded by the smallest of them
        query = select(func.count()).select_from(Article).where(*_conditions(used, dialect, search_text))
    return func.coalesce(query.scalar_subquery(), 0)


def _page(used: tuple[str, ...], dialect: str, search_text: str | None) -> Subquery:
    """The ids of one page, newest first (ties by id), each read from an index in that order; with
    a search, best match first (``rank``) then newest."""
    visible = Article.hidden_at.is_(None)
    query: Select[Any]
    if used == ("tag",):
        tag_id = select(Tag.id).where(Tag.name == TAG).scalar_subquery()
        query = (
            select(ArticleTag.article_id.label("id"))
            .join(Article, Article.id == ArticleTag.article_id)
            .where(ArticleTag.tag_id == tag_id, visible)
            .order_by(ArticleTag.article_created_at.desc(), ArticleTag.article_id.desc())
        )
    elif used == ("favorited_by",):
        query = (
            select(Favorite.article_id.label("id"))
            .join(Article, Article.id == Favorite.article_id)
            .where(Favorite.user_id == _user_id_by_username(FAVORITED_BY), visible)
            .order_by(Favorite.article_created_at.desc(), Favorite.article_id.desc())
        )
    elif used == ("feed_of",) and dialect == "postgresql":
        # Each followed author's newest articles from their index, then merged: bounded by the
        # number of followed authors times the page's end, never by what they wrote in total.
        followed = select(Follow.followee_id).where(Follow.follower_id == FEED_OF).subquery("followed")
        recent = (
            select(Article.id, Article.created_at)
            .where(Article.author_id == followed.c.followee_id, visible)
            .order_by(Article.created_at.desc(), Article.id.desc())
            .limit(PAGE_END)
            .lateral("recent")
        )
        query = (
            select(recent.c.id.label("id"))
            .select_from(followed.join(recent, true()))
            .order_by(recent.c.created_at.desc(), recent.c.id.desc())
        )
    elif search_text is not None:
        rank = search.relevance(dialect, search_text)
        columns: list[Any] = [Article.id.label("id"), rank.label("rank")]
        query = (
            select(*columns)
            .where(*_conditions(used, dialect, search_text))
            .order_by(rank.desc(), Article.created_at.desc(), Article.id.desc())
        )
    else:
        query = (
            select(Article.id.label("id"))
            .where(*_conditions(used, dialect, None))
            .order_by(Article.created_at.desc(), Article.id.desc())
        )
    return query.limit(LIMIT).offset(OFFSET).subquery("page")


def _build_list_statement(
    used: tuple[str, ...], signed_in: bool, dialect: str, search_text: str | None
) -> Select[Any]:
    total = select(_total(used, dialect, search_text).label("total")).subquery("total")
    page = _page(used, dialect, search_text)
    best_first = [page.c.rank.desc()] if search_text is not None else []
    return (
        select(total.c.total, *view_columns(signed_in=signed_in, with_body=False))
        .select_from(total)
        .outerjoin(page, true())
        .outerjoin(Article, Article.id == page.c.id)
        .outerjoin(User, User.id == Article.author_id)
        .order_by(*best_first, Article.created_at.desc(), Article.id.desc())
    )


@functools.cache
def _list_statement(used: tuple[str, ...], signed_in: bool, dialect: str) -> Select[Any]:
    """Without a search, one statement per shape, built once."""
    return _build_list_statement(used, signed_in, dialect, None)


async def list_page(
    reader: RowReader, filters: ArticleFilter, *, viewer: Viewer | None, limit: int, offset: int
) -> tuple[domain.ArticlePage, bool]:
    """One page, newest first (ties by id, so pages never overlap), the total that matched, and
    whether the viewer's token is still good (always, anonymously), in one statement. Every row
    carries the total and the check; an empty page is one row of NULLs but for them."""
    dialect = reader.dialect_name
    params = _params(filters, viewer, limit=limit, offset=offset)
    if filters.search is None:
        rows = await reader.rows(_list_statement(filters.used(), viewer is not None, dialect), params)
    else:  # the search text shapes the statement (SQLite's FTS5 query is rewritten in Python)
        statement = _build_list_statement(filters.used(), viewer is not None, dialect, filters.search)
        rows = await reader.rows(statement, params, reused=False)
    articles = [to_view(row, with_body=False) for row in rows if row["id"] is not None]
    page = domain.ArticlePage(articles=articles, articles_count=rows[0]["total"])
    return page, bool(rows[0]["viewer_valid"])
