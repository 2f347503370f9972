"""Articles: lists and the feed, reading, writing, deleting and favoriting."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.models import Article, User
from app.db.queries import article_lists
from app.db.queries import articles as article_views
from app.db.queries import tags as tag_queries
from app.db.queries.article_lists import ArticleFilter
from app.db.repositories import articles, deltas, favorites, tags
from app.db.types import utc_now
from app.events.model import Audience, EventType
from app.exceptions import Forbidden, NotFound, ServiceUnavailable
from app.markdown import render_off_loop
from app.schemas.articles import ArticleUpdate, NewArticle
from app.security.tokens import TokenClaims
from app.services import article_events, slugs
from app.services.context import AppContext
from app.services.identity import current_user, ensure_current, found_for, viewer_of
from app.services.removed import not_found_if_removed


async def find(session: AsyncSession, slug: str, *, viewer_id: int | None) -> Article:
    """The article with this slug as ``viewer_id`` may see it, or 404 (hidden: to all but its author)."""
    article = await articles.get_by_slug(session, slug)
    if article is None or (article.hidden_at is not None and article.author_id != viewer_id):
        raise NotFound("article not found")
    return article


async def remove(ctx: AppContext, session: AsyncSession, article: Article) -> None:
    """Delete the article and stop counting it (if it was counted: visible), and tell its readers
    (a hidden one's: its author). Nothing to do if a concurrent delete got there first: the row
    lock makes the later one see it gone."""
    visible = await articles.lock_for_delete(session, article.id)
    if visible is None:
        return
    await articles.delete_article(session, article, counted=visible)
    audience = Audience.PUBLIC if visible else Audience.AUTHOR
    await article_events.announce_gone(ctx, session, article, audience=audience)


async def _view(session: AsyncSession, article_id: int, *, viewer_id: int) -> domain.Article:
    """The article as the writer sees it after their change; 404 if a concurrent delete (its
    author's, or their account's) removed it first."""
    view = await article_views.get_view(session, article_id, viewer_id=viewer_id)
    if view is None:
        raise NotFound("article not found")
    return view


def _ensure_author(article: Article, user: User) -> None:
    if article.author_id != user.id:
        raise Forbidden("only the author may change this article")


async def _claim_slug(session: AsyncSession, article: Article, title: str) -> None:
    """Save the article under the first free slug for ``title``."""
    for candidate in slugs.candidates(title):
        if candidate == article.slug:
            return
        if not await articles.slug_taken(session, candidate) and await articles.try_save_with_slug(
            session, article, candidate
        ):
            return
    raise ServiceUnavailable("could not allocate a unique slug; try again")


async def list_articles(
    ctx: AppContext,
    claims: TokenClaims | None,
    *,
    tag: str | None,
    author: str | None,
    favorited: str | None,
    limit: int,
    offset: int,
    search: str | None = None,
) -> domain.ArticlePage:
    """A page of articles; with ``search``, only full-text matches, best first. A blank search is
    no search (an empty search box lists everything)."""

    filters = ArticleFilter(
        tag=tag.strip().lower() if tag is not None else None,
        author=author,
        favorited_by=favorited,
        search=(search or "").strip() or None,
    )
    # One statement: no transaction needed (see Database.rows).
    page, viewer_valid = await article_lists.list_page(
        ctx.db, filters, viewer=viewer_of(claims), limit=limit, offset=offset
    )
    ensure_current(viewer_valid)
    return page


async def feed(ctx: AppContext, claims: TokenClaims, *, limit: int, offset: int) -> domain.ArticlePage:
    filters = ArticleFilter(feed_of=claims.user_id)
    page, viewer_valid = await article_lists.list_page(
        ctx.db, filters, viewer=viewer_of(claims), limit=limit, offset=offset
    )
    ensure_current(viewer_valid)
    return page


async def get(ctx: AppContext, claims: TokenClaims | None, slug: str) -> domain.Article:
    article, viewer_valid = await article_views.find_view(ctx.db, slug, viewer=viewer_of(claims))
    return await found_for(ctx.db, claims, article, viewer_valid, "article not found")


async def create(ctx: AppContext, claims: TokenClaims, data: NewArticle) -> domain.Article:
    names = sorted(set(data.tag_list))
    # Before the transaction, off the event loop: rendering a long body takes a while, and holding
    # a transaction open meanwhile would hold SQLite's write lock (app/markdown.py).
    body_html = await render_off_loop(data.body)

    async def work(session: AsyncSession) -> domain.Article:
        author = await current_user(session, claims)
        now = utc_now()
        values = {
            "title": data.title,
            "description": data.description,
            "body": data.body,
            "body_html": body_html,
            "author_id": author.id,
            "tag_names": " ".join(names),  # what search reads (see tags.set_tags)
            "created_at": now,
            "updated_at": now,
        }
        for slug in slugs.candidates(data.title):
            article_id = await articles.insert_with_slug(session, values, slug)
            if article_id is not None:
                break
        else:
            raise ServiceUnavailable("could not allocate a unique slug; try again")
        await tags.set_tags(
            session,
            article_id,
            names,
            article_created_at=now,
            counted=True,
            also=deltas.article_counted(author.id, 1),
            new=True,
        )
        published = article_events.ArticleRef(id=article_id, author_id=author.id, slug=slug)
        await article_events.announce_published(ctx, session, published, author=author.username)
        return await _view(session, article_id, viewer_id=author.id)

    return await ctx.db.write(work)


async def update(ctx: AppContext, claims: TokenClaims, slug: str, data: ArticleUpdate) -> domain.Article:
    given = data.model_fields_set
    # As in ``create``: rendered before the transaction, off the event loop.
    body_html = None if data.body is None else await render_off_loop(data.body)

    async def work(session: AsyncSession) -> domain.Article:
        user = await current_user(session, claims)
        article = await find(session, slug, viewer_id=user.id)
        _ensure_author(article, user)
        old_title = article.title
        for name in ("title", "description", "body"):
            if name in given:
                setattr(article, name, getattr(data, name))
        if body_html is not None:
            article.body_html = body_html
        if data.tag_list is not None:
            names = sorted(set(data.tag_list))
            await tags.set_tags(
                session,
                article.id,
                names,
                article_created_at=article.created_at,
                counted=article.hidden_at is None,
            )
            article.tag_names = " ".join(names)  # what search reads, written with the other fields
        if given:  # a body with no field of the update (unknown ones are ignored) changes nothing
            article.updated_at = utc_now()
        if data.title is not None and slugs.base_slug(data.title) != slugs.base_slug(old_title):
            await _claim_slug(session, article, data.title)
        await session.flush()
        return await _view(session, article.id, viewer_id=user.id)

    return await ctx.db.write(work)


async def delete(ctx: AppContext, claims: TokenClaims, slug: str) -> None:
    async def work(session: AsyncSession) -> None:
        user = await current_user(session, claims)
        article = await find(session, slug, viewer_id=user.id)
        _ensure_author(article, user)
        # Locked apart from the read: a delete that waited on a concurrent one (or on the author's
        # account deletion) then finds it gone and answers 204, as if it had won.
        await remove(ctx, session, article)

    await ctx.db.write(work)


async def favorite(ctx: AppContext, claims: TokenClaims, slug: str) -> domain.Article:
    return await _set_favorite(ctx, claims, slug, favorite=True)


async def unfavorite(ctx: AppContext, claims: TokenClaims, slug: str) -> domain.Article:
    return await _set_favorite(ctx, claims, slug, favorite=False)


async def _set_favorite(ctx: AppContext, claims: TokenClaims, slug: str, *, favorite: bool) -> domain.Article:
    async def work(session: AsyncSession) -> domain.Article:
        user = await current_user(session, claims)
        change = favorites.favorite if favorite else favorites.unfavorite
        with not_found_if_removed("article not found"):  # its deletion committed meanwhile
            changed = await change(session, user_id=user.id, slug=slug)
        # Read back by slug, its row share-locked so that a concurrent hide cannot slip between this
        # read and the commit (see article_events.announce): 404 if there is no such article (or it
        # is hidden from the caller).
        written = await article_views.written_by_slug(session, slug, viewer_id=user.id)
        if written is None:
            raise NotFound("article not found")
        view = written.view
        if changed:
            seen = article_events.ArticleRef(id=view.id, author_id=written.author_id, slug=view.slug)
            await article_events.announce_seen(
                ctx,
                session,
                seen,
                EventType.FAVORITES_CHANGED,
                visible=written.visible,
                favorites_count=view.favorites_count,
            )
        return view

    return await ctx.db.write(work)


async def popular_tags(ctx: AppContext) -> list[str]:
    return await tag_queries.popular_tags(ctx.db)
