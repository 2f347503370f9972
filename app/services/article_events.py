"""Events about an article, addressed to whoever may read it when the writer commits.

A hidden article is readable by its author only, so its events go to its author only; hiding it
sends its readers an ``article.deleted`` instead (and each process then replays its earlier events
to the author only: ``EventBus.dispatch``). The audience travels with the event, so every process
filters alike, live and on replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Article
from app.db.repositories import articles
from app.events.model import Audience, Event, EventType
from app.exceptions import NotFound
from app.services.context import AppContext


async def announce(
    ctx: AppContext, session: AsyncSession, article: Article, kind: EventType, **details: Any
) -> None:
    """Stage ``kind`` about ``article`` for everyone, or for its author only while it is hidden.

    Its visibility (and slug) is read again under a share lock: a concurrent hide either waits for
    this transaction (whose event then precedes its ``article.deleted``, in commit order) or has
    committed and is seen here. So no event of a hidden article ever goes out to everyone."""
    await _announce_locked(
        ctx, session, await articles.share_lock_state(session, article_id=article.id), kind, **details
    )


async def announce_by_slug(
    ctx: AppContext, session: AsyncSession, slug: str, kind: EventType, **details: Any
) -> None:
    """``announce``, for a writer that knows the article by its slug only."""
    await _announce_locked(ctx, session, await articles.share_lock_state(session, slug=slug), kind, **details)


async def _announce_locked(
    ctx: AppContext,
    session: AsyncSession,
    state: articles.SharedState | None,
    kind: EventType,
    **details: Any,
) -> None:
    if state is None:
        raise NotFound("article not found")  # deleted meanwhile: as if it had been gone already
    # The slug too as it is now: renamed meanwhile, it is the new one.
    seen = ArticleRef(id=state.id, author_id=state.author_id, slug=state.slug)
    await announce_seen(ctx, session, seen, kind, visible=state.visible, **details)


async def announce_seen(
    ctx: AppContext,
    session: AsyncSession,
    article: ArticleRef,
    kind: EventType,
    *,
    visible: bool,
    **details: Any,
) -> None:
    """``announce``, for a writer whose own statement already read the article's visibility and slug
    under a share lock (``queries.articles.written_by_slug``): no statement of its own."""
    audience = Audience.PUBLIC if visible else Audience.AUTHOR
    await ctx.events.stage(session, _about(article, kind, audience, **details))


async def announce_gone(
    ctx: AppContext, session: AsyncSession, article: Article, *, audience: Audience
) -> None:
    """Stage ``article.deleted``: to ``PUBLIC`` when a visible article is deleted, to ``OTHERS``
    when staff hide it (its author still reads it), to ``AUTHOR`` when a hidden one is deleted."""
    await ctx.events.stage(session, _about(ArticleRef.of(article), EventType.ARTICLE_DELETED, audience))


async def announce_published(
    ctx: AppContext, session: AsyncSession, article: ArticleRef, *, author: str
) -> None:
    """Stage ``article.published`` for a new article (never hidden yet: for everyone)."""
    published = _about(article, EventType.ARTICLE_PUBLISHED, Audience.PUBLIC, author=author)
    await ctx.events.stage(session, published)


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """What an event names of its article."""

    id: int
    author_id: int
    slug: str

    @classmethod
    def of(cls, article: Article) -> ArticleRef:
        return cls(id=article.id, author_id=article.author_id, slug=article.slug)


def _about(article: ArticleRef, kind: EventType, audience: Audience, **details: Any) -> Event:
    fields = {"slug": article.slug, **details}
    return Event(type=kind, article_id=article.id, author_id=article.author_id, audience=audience, **fields)
