"""Articles, their tags and favorites.

A list page is ONE statement whatever the page size and the data size: the page's ids come from an
index in order (no sort of everything that matched), the total from a counter, and each row brings
its author, "following" and "favorited" flags and its tags. Counters (``counters.articles``,
``users.articles_count``/``favorites_count``, ``tags.articles_count``, ``articles.favorites_count``)
change in the same transaction as the rows they count, through the helpers below, so that a later
"hide" can call the same ones.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import Subquery

from app import domain
from app.db.direct import RowReader
from app.db.models import Article, ArticleTag, Counter, Favorite, Follow, Tag, User
from app.db.repositories import search, sessions
from app.db.repositories._upsert import insert_or_ignore

ARTICLES_COUNTER = "articles"
# Joins a row's tag names; tags cannot contain control characters (see app/schemas/articles.py).
TAG_SEPARATOR = "\x1f"


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


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, as their token says; checked against their session in the same statement."""

    id: int
    session_id: str


# Statements are built once per shape (which filters, signed in or not, engine) with bound
# parameters, and reused: building and hashing a statement per request cost more than running it.
TAG = bindparam("tag", type_=String)
AUTHOR = bindparam("author", type_=String)  # lower-cased
FAVORITED_BY = bindparam("favorited_by", type_=String)  # lower-cased
FEED_OF = bindparam("feed_of", type_=BigInteger)
VIEWER_ID = bindparam("viewer_id", type_=BigInteger)
VIEWER_SESSION = bindparam("viewer_session", type_=String)
LIMIT = bindparam("limit", type_=Integer)
OFFSET = bindparam("offset", type_=Integer)
PAGE_END = bindparam("page_end", type_=Integer)


def _params(
    filters: ArticleFilter, viewer: Viewer | None, *, limit: int = 0, offset: int = 0
) -> dict[str, Any]:
    return {
        "tag": filters.tag,
        "author": filters.author.lower() if filters.author is not None else None,
        "favorited_by": filters.favorited_by.lower() if filters.favorited_by is not None else None,
        "feed_of": filters.feed_of,
        "viewer_id": viewer.id if viewer else None,
        "viewer_session": viewer.session_id if viewer else None,
        "limit": limit,
        "offset": offset,
        "page_end": limit + offset,
    }


def _user_id_by_username(username: BindParameter[str]) -> Any:
    return select(User.id).where(func.lower(User.username) == username).scalar_subquery()


def _conditions(used: tuple[str, ...], dialect: str, search_text: str | None) -> list[ColumnElement[bool]]:
    # Moderation: articles hidden by staff are in no list, feed or count, for anyone (their author
    # still opens them by slug). Every list path applies this rule; the counters count only
    # visible articles (``set_hidden``).
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
    """The exact number of matching articles, from a counter when one filter (or none) is used."""
    query: Select[Any]
    if not used:
        query = select(Counter.value).where(Counter.name == ARTICLES_COUNTER)
    elif used == ("tag",):
        query = select(Tag.articles_count).where(Tag.name == TAG)
    elif used == ("author",):
        query = select(User.articles_count).where(func.lower(User.username) == AUTHOR)
    elif used == ("favorited_by",):
        query = select(User.favorites_count).where(func.lower(User.username) == FAVORITED_BY)
    elif used == ("feed_of",):
        query = (
            select(func.sum(User.articles_count))
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


def _view_columns(*, signed_in: bool, with_body: bool) -> list[Any]:
    """Everything a view of an article needs, as the viewer sees it (tags joined into one string),
    and whether the viewer's token is still good."""
    if signed_in:
        favorited: ColumnElement[bool] = exists().where(
            Favorite.user_id == VIEWER_ID, Favorite.article_id == Article.id
        )
        following: ColumnElement[bool] = exists().where(
            Follow.follower_id == VIEWER_ID, Follow.followee_id == Article.author_id
        )
        viewer_valid = sessions.live(VIEWER_ID, VIEWER_SESSION)
    else:
        favorited = following = false()
        viewer_valid = true()
    # Each name by primary key: a join would let the planner hash (scan) all tags for every row.
    tag_name = select(Tag.name).where(Tag.id == ArticleTag.tag_id).scalar_subquery()
    tags = (
        select(func.aggregate_strings(tag_name, TAG_SEPARATOR))
        .select_from(ArticleTag)
        .where(ArticleTag.article_id == Article.id)
        .scalar_subquery()
    )
    columns: list[Any] = [
        viewer_valid.label("viewer_valid"),
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.created_at,
        Article.updated_at,
        Article.favorites_count,
        favorited.label("favorited"),
        User.username,
        User.bio,
        User.image,
        following.label("following"),
        tags.label("tags"),
    ]
    if with_body:
        columns += [Article.body, Article.body_html]
    return columns


def _build_list_statement(
    used: tuple[str, ...], signed_in: bool, dialect: str, search_text: str | None
) -> Select[Any]:
    total = select(_total(used, dialect, search_text).label("total")).subquery("total")
    page = _page(used, dialect, search_text)
    best_first = [page.c.rank.desc()] if search_text is not None else []
    return (
        select(total.c.total, *_view_columns(signed_in=signed_in, with_body=False))
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


@functools.cache
def _view_statement(by_slug: bool, signed_in: bool) -> Select[Any]:
    # By slug, as readers ask: a hidden article is "no such article" to all but its author. By id,
    # after a write by someone who could already see it.
    key = (
        and_(
            Article.slug == bindparam("slug", type_=String),
            or_(Article.hidden_at.is_(None), Article.author_id == VIEWER_ID),
        )
        if by_slug
        else Article.id == bindparam("article_id")
    )
    return (
        select(*_view_columns(signed_in=signed_in, with_body=True))
        .join(User, User.id == Article.author_id)
        .where(key)
    )


def _to_view(row: Mapping[str, Any], *, with_body: bool) -> domain.ArticleSummary:
    author = domain.Profile(
        username=row["username"], bio=row["bio"], image=row["image"], following=bool(row["following"])
    )
    tags = row["tags"]
    fields = {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "description": row["description"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "favorited": bool(row["favorited"]),
        "favorites_count": row["favorites_count"],
        "author": author,
        "tag_list": sorted(tags.split(TAG_SEPARATOR)) if tags else [],
    }
    if with_body:
        return domain.Article(**fields, body=row["body"], body_html=row["body_html"])
    return domain.ArticleSummary(**fields)


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
    articles = [_to_view(row, with_body=False) for row in rows if row["id"] is not None]
    page = domain.ArticlePage(articles=articles, articles_count=rows[0]["total"])
    return page, bool(rows[0]["viewer_valid"])


async def find_view(
    reader: RowReader, slug: str, *, viewer: Viewer | None
) -> tuple[domain.Article | None, bool]:
    """The full article with body as the viewer sees it (``None`` if there is none), and whether the
    viewer's token is still good, in one statement. Without an article the check is not made
    (``True``): call ``current_user`` to tell a stale token from a missing article."""
    params = {**_params(ArticleFilter(), viewer), "slug": slug}
    rows = await reader.rows(_view_statement(True, viewer is not None), params)
    if not rows:
        return None, True
    view = _to_view(rows[0], with_body=True)
    assert isinstance(view, domain.Article)
    return view, bool(rows[0]["viewer_valid"])


async def get_view(session: AsyncSession, article_id: int, *, viewer_id: int) -> domain.Article | None:
    """The full article with body, as ``viewer_id`` (already checked) sees it; ``None`` if a
    concurrent writer deleted it meanwhile."""
    params = {**_params(ArticleFilter(), Viewer(viewer_id, "")), "article_id": article_id}
    statement = _view_statement(False, True)
    row = (await (await session.connection()).execute(statement, params)).mappings().one_or_none()
    if row is None:
        return None
    view = _to_view(row, with_body=True)
    assert isinstance(view, domain.Article)
    return view


async def get_by_slug(session: AsyncSession, slug: str) -> Article | None:
    return (await session.scalars(select(Article).where(Article.slug == slug))).one_or_none()


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    return bool(await session.scalar(select(exists().where(Article.slug == slug))))


async def try_save_with_slug(session: AsyncSession, article: Article, slug: str) -> bool:
    """Give ``article`` the slug and flush it; ``False`` (and nothing written) if a racing writer took it."""
    previous = article.slug if article.id is not None else None
    try:
        async with session.begin_nested():
            article.slug = slug
            session.add(article)
            await session.flush()
    except IntegrityError as error:
        if "slug" not in str(error.orig):
            raise
        if previous is not None:
            article.slug = previous
        return False
    return True


async def count_article(session: AsyncSession, *, author_id: int, delta: int) -> None:
    """Count a visible article in (``delta=1``) or out (``-1``) of the global and the author's totals."""
    await session.execute(
        update(Counter).where(Counter.name == ARTICLES_COUNTER).values(value=Counter.value + delta)
    )
    await session.execute(
        update(User).where(User.id == author_id).values(articles_count=User.articles_count + delta)
    )


async def _count_favorites_of(session: AsyncSession, article_id: int, delta: int) -> None:
    """Move the favorites total of everyone who favorited the article (it appears or disappears)."""
    favoriters = select(Favorite.user_id).where(Favorite.article_id == article_id)
    await session.execute(
        update(User).where(User.id.in_(favoriters)).values(favorites_count=User.favorites_count + delta),
        execution_options={"synchronize_session": False},
    )


async def get_by_id(session: AsyncSession, article_id: int) -> Article | None:
    return await session.get(Article, article_id)


async def lock_for_delete(session: AsyncSession, article_id: int) -> bool | None:
    """Lock the article's row until the transaction ends; whether it is visible (counted), or
    ``None`` if it is gone (a concurrent delete committed first)."""
    hidden_at = select(Article.hidden_at).where(Article.id == article_id).with_for_update()
    row = (await session.execute(hidden_at)).one_or_none()
    return None if row is None else row.hidden_at is None


async def share_lock_visibility(session: AsyncSession, article_id: int) -> tuple[bool, str] | None:
    """Whether the article is visible (not hidden), and its slug, with its row share-locked until the
    transaction ends so that no one hides, shows or renames it meanwhile (PostgreSQL; SQLite has one
    writer at a time); ``None`` if it is gone. Shared: writers that only read it do not wait for
    each other."""
    state = select(Article.hidden_at, Article.slug).where(Article.id == article_id).with_for_update(read=True)
    row = (await session.execute(state)).one_or_none()
    return None if row is None else (row.hidden_at is None, row.slug)


async def delete_article(session: AsyncSession, article: Article, *, counted: bool) -> None:
    """Delete the article and stop counting it, and its favorites, if it was ``counted`` (visible;
    tags: see ``remove_tags``). Call ``lock_for_delete`` first."""
    if counted:
        await _count_favorites_of(session, article.id, -1)
        await count_article(session, author_id=article.author_id, delta=-1)
    await session.execute(delete(Article).where(Article.id == article.id))


async def set_hidden(session: AsyncSession, article: Article, hidden_at: datetime | None) -> None:
    """Hide (a time) or show (``None``) the article. Every total counts only visible articles, so
    they all move with it: global, author's, its tags', its favoriters'."""
    was_counted = article.hidden_at is None
    article.hidden_at = hidden_at
    await session.flush()
    if was_counted != (hidden_at is None):
        step = 1 if hidden_at is None else -1
        tag_ids = select(ArticleTag.tag_id).where(ArticleTag.article_id == article.id)
        await session.execute(
            update(Tag).where(Tag.id.in_(tag_ids)).values(articles_count=Tag.articles_count + step)
        )
        await count_article(session, author_id=article.author_id, delta=step)
        await _count_favorites_of(session, article.id, step)


async def delete_all_by(session: AsyncSession, *, author_id: int) -> None:
    """Delete every article of the author and stop counting the visible ones (hidden articles are
    not counted: ``set_hidden``) in their tags, the global total and their favoriters' totals.
    Their tag links, favorites and comments go by cascade.

    The articles are locked first (PostgreSQL), so no tag can be linked to one of them between the
    count and the delete; a concurrent unlink either finishes first or deadlocks with this and one
    transaction is re-run (``Database``), so every tag's counter stays exact."""
    authored = select(Article.id).where(Article.author_id == author_id)
    await session.execute(authored.order_by(Article.id).with_for_update())
    counted = authored.where(Article.hidden_at.is_(None))
    links = (
        select(func.count())
        .select_from(ArticleTag)
        .where(ArticleTag.tag_id == Tag.id, ArticleTag.article_id.in_(counted))
        .scalar_subquery()
    )
    used = select(ArticleTag.tag_id).where(ArticleTag.article_id.in_(counted))
    await session.execute(
        update(Tag).where(Tag.id.in_(used)).values(articles_count=Tag.articles_count - links),
        execution_options={"synchronize_session": False},
    )
    favorites = (
        select(func.count())
        .select_from(Favorite)
        .where(Favorite.user_id == User.id, Favorite.article_id.in_(counted))
        .scalar_subquery()
    )
    favoriters = select(Favorite.user_id).where(Favorite.article_id.in_(counted))
    await session.execute(
        update(User).where(User.id.in_(favoriters)).values(favorites_count=User.favorites_count - favorites),
        execution_options={"synchronize_session": False},
    )
    visible = select(func.count()).select_from(counted.subquery()).scalar_subquery()
    await session.execute(
        update(Counter).where(Counter.name == ARTICLES_COUNTER).values(value=Counter.value - visible)
    )
    await session.execute(delete(Article).where(Article.author_id == author_id))


# --- tags ---------------------------------------------------------------------------------------


async def tag_names_of(session: AsyncSession, article_id: int) -> list[str]:
    query = (
        select(Tag.name)
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article_id)
        .order_by(Tag.name)
    )
    return list((await session.scalars(query)).all())


async def add_tags(
    session: AsyncSession,
    article_id: int,
    names: Iterable[str],
    *,
    article_created_at: datetime,
    counted: bool = True,
) -> None:
    """Attach tags (creating missing ones race-free) and count the article in each (``counted``: visible)."""
    names = sorted(set(names))
    if not names:
        return
    await session.execute(insert_or_ignore(session, Tag), [{"name": name} for name in names])
    tag_ids = list((await session.scalars(select(Tag.id).where(Tag.name.in_(names)).order_by(Tag.id))).all())
    # Counted only where a link was really added: a racing writer may have added it first.
    links = [
        {"article_id": article_id, "tag_id": tag_id, "article_created_at": article_created_at}
        for tag_id in tag_ids
    ]
    linked = (
        await session.scalars(
            insert_or_ignore(session, ArticleTag).values(links).returning(ArticleTag.tag_id)
        )
    ).all()
    if linked and counted:
        await session.execute(
            update(Tag).where(Tag.id.in_(linked)).values(articles_count=Tag.articles_count + 1)
        )
    await _copy_tag_names(session, article_id)


async def remove_tags(
    session: AsyncSession, article_id: int, names: Iterable[str], *, counted: bool = True
) -> None:
    """Detach tags from the article and stop counting it in them (``counted``: it was visible)."""
    names = sorted(set(names))
    if not names:
        return
    tag_ids = list((await session.scalars(select(Tag.id).where(Tag.name.in_(names)).order_by(Tag.id))).all())
    # Uncounted only where a link was really removed: a racing writer (the same article deleted
    # twice at once, or its author's account) may have removed it first.
    await _unlink(
        session, ArticleTag.article_id == article_id, ArticleTag.tag_id.in_(tag_ids), counted=counted
    )
    await _copy_tag_names(session, article_id)


async def unlink_all_tags(session: AsyncSession, article_id: int, *, counted: bool) -> None:
    """Detach every tag of an article about to be deleted (its ``tag_names`` is left as it is: the
    row goes next) and stop counting it in them (``counted``: it was visible)."""
    await _unlink(session, ArticleTag.article_id == article_id, counted=counted)


async def _unlink(session: AsyncSession, *where: ColumnElement[bool], counted: bool) -> None:
    """Delete the matching tag links; each tag loses one from its count only for a link really
    removed here (``RETURNING`` says which), when the article was counted."""
    unlinked = (await session.scalars(delete(ArticleTag).where(*where).returning(ArticleTag.tag_id))).all()
    if unlinked and counted:
        await session.execute(
            update(Tag).where(Tag.id.in_(unlinked)).values(articles_count=Tag.articles_count - 1)
        )


async def _copy_tag_names(session: AsyncSession, article_id: int) -> None:
    """Writes the article's tag names onto its row (``tag_names``), where full-text search reads them."""
    names = (
        select(func.coalesce(func.aggregate_strings(Tag.name, " "), ""))
        .join(ArticleTag, ArticleTag.tag_id == Tag.id)
        .where(ArticleTag.article_id == article_id)
        .scalar_subquery()
    )
    await session.execute(update(Article).where(Article.id == article_id).values(tag_names=names))


@functools.cache
def _popular_tags_statement() -> Select[Any]:
    return select(Tag.name).where(Tag.articles_count > 0).order_by(Tag.articles_count.desc(), Tag.name)


async def popular_tags(reader: RowReader) -> list[str]:
    """Tags on at least one article, most used first, then alphabetically."""
    return [row["name"] for row in await reader.rows(_popular_tags_statement(), {})]


# --- favorites ----------------------------------------------------------------------------------


async def _count_favorite(session: AsyncSession, *, user_id: int, article_id: int, delta: int) -> None:
    await session.execute(
        update(Article)
        .where(Article.id == article_id)
        .values(favorites_count=Article.favorites_count + delta)
    )
    # The user's total counts visible articles only (``set_hidden``); only its author can favorite
    # a hidden one.
    visible = exists().where(Article.id == article_id, Article.hidden_at.is_(None))
    await session.execute(
        update(User).where(User.id == user_id, visible).values(favorites_count=User.favorites_count + delta)
    )


async def favorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the counters move only when a row was really added (then ``True``)."""
    created_at = select(Article.created_at).where(Article.id == article_id).scalar_subquery()
    inserted = await session.scalar(
        insert_or_ignore(session, Favorite)
        .values(user_id=user_id, article_id=article_id, article_created_at=created_at)
        .returning(Favorite.article_id)
    )
    if inserted is not None:
        await _count_favorite(session, user_id=user_id, article_id=article_id, delta=1)
    return inserted is not None


async def unfavorite(session: AsyncSession, *, user_id: int, article_id: int) -> bool:
    """Idempotent; the counters move only when a row was really removed (then ``True``)."""
    removed = await session.scalar(
        delete(Favorite)
        .where(Favorite.user_id == user_id, Favorite.article_id == article_id)
        .returning(Favorite.article_id)
    )
    if removed is not None:
        await _count_favorite(session, user_id=user_id, article_id=article_id, delta=-1)
    return removed is not None


# Bound parameters per statement stay far below both engines' limits (SQLite 32,766; asyncpg 32,767).
_CHUNK = 1000


async def unfavorite_all(session: AsyncSession, *, user_id: int) -> None:
    """Remove every favorite of the user; each article loses exactly the favorite removed from it
    (``RETURNING`` says which, so a concurrent unfavorite is never counted twice)."""
    removed = (
        await session.scalars(
            delete(Favorite).where(Favorite.user_id == user_id).returning(Favorite.article_id)
        )
    ).all()
    article_ids = sorted(removed)  # one order for every writer: row locks taken in the same order
    for start in range(0, len(article_ids), _CHUNK):
        await session.execute(
            update(Article)
            .where(Article.id.in_(article_ids[start : start + _CHUNK]))
            .values(favorites_count=Article.favorites_count - 1)
            .execution_options(synchronize_session=False)
        )
