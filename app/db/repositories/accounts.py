"""One user's own rows across every table: what the account export reads.

Each function is one statement, ordered oldest first (ties by a unique key), so two exports of the
same data are identical. Only rows the user wrote or made are read; of other users, only the public
identifiers those rows point at (an article's slug, a username).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app import domain
from app.db.counts import Count, current
from app.db.models import Article, ArticleTag, Comment, Favorite, Follow, Tag, User


def profile_of(user: User) -> domain.ExportedProfile:
    return domain.ExportedProfile(
        username=user.username,
        email=user.email,
        bio=user.bio,
        image=user.image,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


async def articles_by(session: AsyncSession, author_id: int) -> list[domain.ExportedArticle]:
    """The author's articles with their tags (two statements, whatever their number)."""
    tags: dict[int, list[str]] = defaultdict(list)
    tag_rows = await session.execute(
        select(ArticleTag.article_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(Article.author_id == author_id)
        .order_by(ArticleTag.article_id, Tag.name)
    )
    for article_id, name in tag_rows:
        tags[article_id].append(name)
    favorites = current(Article.favorites_count, Count.ARTICLE_FAVORITES, Article.id)
    rows = await session.execute(
        select(Article, favorites)
        .where(Article.author_id == author_id)
        .order_by(Article.created_at, Article.id)
    )
    return [
        domain.ExportedArticle(
            slug=article.slug,
            title=article.title,
            description=article.description,
            body=article.body,
            tag_list=tags.get(article.id, []),
            favorites_count=favorites_count,
            created_at=article.created_at,
            updated_at=article.updated_at,
        )
        for article, favorites_count in rows
    ]


async def comments_by(session: AsyncSession, author_id: int) -> list[domain.ExportedComment]:
    """The author's comments on any article, with that article's slug."""
    rows = await session.execute(
        select(Comment.id, Article.slug, Comment.body, Comment.created_at, Comment.updated_at)
        .join(Article, Article.id == Comment.article_id)
        .where(Comment.author_id == author_id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [
        domain.ExportedComment(
            id=row.id, article=row.slug, body=row.body, created_at=row.created_at, updated_at=row.updated_at
        )
        for row in rows
    ]


async def favorites_of(session: AsyncSession, user_id: int) -> list[domain.ExportedFavorite]:
    rows = await session.execute(
        select(Article.slug, Favorite.created_at)
        .join(Article, Article.id == Favorite.article_id)
        .where(Favorite.user_id == user_id)
        .order_by(Favorite.created_at, Article.slug)
    )
    return [domain.ExportedFavorite(slug=row.slug, favorited_at=row.created_at) for row in rows]


async def followed_by(session: AsyncSession, user_id: int) -> list[domain.ExportedFollow]:
    """Whom the user follows."""
    return await _follows(session, user_id, own=Follow.follower_id, other=Follow.followee_id)


async def followers_of(session: AsyncSession, user_id: int) -> list[domain.ExportedFollow]:
    """Who follows the user."""
    return await _follows(session, user_id, own=Follow.followee_id, other=Follow.follower_id)


async def _follows(
    session: AsyncSession, user_id: int, *, own: InstrumentedAttribute[int], other: InstrumentedAttribute[int]
) -> list[domain.ExportedFollow]:
    """The follows whose ``own`` side is the user, named by the ``other`` side's username."""
    rows = await session.execute(
        select(User.username, Follow.created_at)
        .join(User, User.id == other)
        .where(own == user_id)
        .order_by(Follow.created_at, User.username)
    )
    return [domain.ExportedFollow(username=row.username, followed_at=row.created_at) for row in rows]
