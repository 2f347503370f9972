"""Tags on articles: linking and unlinking, counting the article in each tag."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Article, ArticleTag, Tag
from app.db.repositories._upsert import insert_or_ignore


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
