"""Events about an article, addressed to whoever may read it when the writer commits.

A hidden article is readable by its author only, so its events go to its author only; hiding it
sends its readers an ``article.deleted`` instead (and each process then replays its earlier events
to the author only: ``EventBus.dispatch``). The audience travels with the event, so every process
filters alike, live and on replay.
"""

from __future__ import annotations

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
    state = await articles.share_lock_visibility(session, article.id)
    if state is None:
        raise NotFound("article not found")  # deleted meanwhile: as if it had been gone already
    visible, slug = state  # the slug too as it is now: renamed meanwhile, it is the new one
    audience = Audience.PUBLIC if visible else Audience.AUTHOR
    await ctx.events.stage(session, _about(article, kind, audience, slug=slug, **details))


async def announce_gone(
    ctx: AppContext, session: AsyncSession, article: Article, *, audience: Audience
) -> None:
    """Stage ``article.deleted``: to ``PUBLIC`` when a visible article is deleted, to ``OTHERS``
    when staff hide it (its author still reads it), to ``AUTHOR`` when a hidden one is deleted."""
    await ctx.events.stage(session, _about(article, EventType.ARTICLE_DELETED, audience))


async def announce_published(
    ctx: AppContext, session: AsyncSession, article: Article, *, author: str
) -> None:
    """Stage ``article.published`` for a new article (never hidden yet: for everyone)."""
    published = _about(article, EventType.ARTICLE_PUBLISHED, Audience.PUBLIC, author=author)
    await ctx.events.stage(session, published)


def _about(article: Article, kind: EventType, audience: Audience, **details: Any) -> Event:
    fields = {"slug": article.slug, **details}
    return Event(type=kind, article_id=article.id, author_id=article.author_id, audience=audience, **fields)
