"""Articles: lists and the feed, reading, writing, deleting and favoriting."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.errors import NOT_NULL_VIOLATION
from app.db.models import Article, User
from app.db.repositories import articles
from app.db.repositories.articles import ArticleFilter
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
    await articles.unlink_all_tags(session, article.id, counted=visible)
    await articles.delete_article(session, article, counted=visible)
    audience = Audience.PUBLIC if visible else Audience.AUTHOR
    await article_events.announce_gone(ctx, session, article, audience=audience)


async def _view(session: AsyncSession, article_id: int, *, viewer_id: int) -> domain.Article:
    """The article as the writer sees it after their change; 404 if a concurrent delete (its
    author's, or their account's) removed it first."""
    view = await articles.get_view(session, article_id, viewer_id=viewer_id)
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
    page, viewer_valid = await articles.list_page(
        ctx.db, filters, viewer=viewer_of(claims), limit=limit, offset=offset
    )
    ensure_current(viewer_valid)
    return page


async def feed(ctx: AppContext, claims: TokenClaims, *, limit: int, offset: int) -> domain.ArticlePage:
    filters = ArticleFilter(feed_of=claims.user_id)
    page, viewer_valid = await articles.list_page(
        ctx.db, filters, viewer=viewer_of(claims), limit=limit, offset=offset
    )
    ensure_current(viewer_valid)
    return page


async def get(ctx: AppContext, claims: TokenClaims | None, slug: str) -> domain.Article:
    article, viewer_valid = await articles.find_view(ctx.db, slug, viewer=viewer_of(claims))
    return await found_for(ctx.db, claims, article, viewer_valid, "article not found")


async def create(ctx: AppContext, claims: TokenClaims, data: NewArticle) -> domain.Article:
    # Before the transaction, off the event loop: rendering a long body takes a while, and holding
    # a transaction open meanwhile would hold SQLite's write lock (app/markdown.py).
    body_html = await render_off_loop(data.body)

    async def work(session: AsyncSession) -> domain.Article:
        author = await current_user(session, claims)
        now = utc_now()
        article = Article(
            title=data.title,
            description=data.description,
            body=data.body,
            body_html=body_html,
            author_id=author.id,
            created_at=now,
            updated_at=now,
        )
        await _claim_slug(session, article, data.title)
        await articles.count_article(session, author_id=author.id, delta=1)
        await articles.add_tags(session, article.id, data.tag_list, article_created_at=now)
        await article_events.announce_published(ctx, session, article, author=author.username)
        return await _view(session, article.id, viewer_id=author.id)

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
            current = set(await articles.tag_names_of(session, article.id))
            wanted = set(data.tag_list)
            counted = article.hidden_at is None
            await articles.remove_tags(session, article.id, current - wanted, counted=counted)
            await articles.add_tags(
                session, article.id, wanted - current, counted=counted, article_created_at=article.created_at
            )
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
        await remove(ctx, session, article)

    await ctx.db.write(work)


async def favorite(ctx: AppContext, claims: TokenClaims, slug: str) -> domain.Article:
    return await _set_favorite(ctx, claims, slug, favorite=True)


async def unfavorite(ctx: AppContext, claims: TokenClaims, slug: str) -> domain.Article:
    return await _set_favorite(ctx, claims, slug, favorite=False)


async def _set_favorite(ctx: AppContext, claims: TokenClaims, slug: str, *, favorite: bool) -> domain.Article:
    async def work(session: AsyncSession) -> domain.Article:
        user = await current_user(session, claims)
        article = await find(session, slug, viewer_id=user.id)
        change = articles.favorite if favorite else articles.unfavorite
        # The favorite copies the article's created_at with a sub-select: if the deletion committed
        # just before the insert, that is NULL (23502) rather than a key failure.
        with not_found_if_removed("article not found", also=frozenset({NOT_NULL_VIOLATION})):
            changed = await change(session, user_id=user.id, article_id=article.id)
        if changed:
            view = await _view(session, article.id, viewer_id=user.id)
            await article_events.announce(
                ctx, session, article, EventType.FAVORITES_CHANGED, favorites_count=view.favorites_count
            )
            return view
        return await _view(session, article.id, viewer_id=user.id)

    return await ctx.db.write(work)


async def popular_tags(ctx: AppContext) -> list[str]:
    return await articles.popular_tags(ctx.db)
