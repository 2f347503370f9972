"""Tags on articles: linking and unlinking, counting the article in each tag (``count_deltas``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import Count
from app.db.models import ArticleTag, Tag
from app.db.repositories import deltas
from app.db.repositories._upsert import insert_or_ignore
from app.db.repositories.deltas import Delta


async def set_tags(
    session: AsyncSession,
    article_id: int,
    names: Iterable[str],
    *,
    article_created_at: datetime,
    counted: bool,
    also: Sequence[Delta] = (),
    new: bool = False,
) -> None:
    """Make the article's tags exactly ``names`` (creating missing tags race-free), count it in the
    tags it gained and out of those it lost (``counted``: it is visible), and record the ``also``
    changes with them, in one insert. ``new``: the article was just inserted (it has no links yet).
    The caller writes the names, space-separated and sorted, to the article's ``tag_names`` (where
    full-text search reads them) with its other fields, so that costs no statement of its own.

    Only links really added or removed here count (``RETURNING`` says which): a racing writer (the
    same article retagged or deleted at once) may have done it first."""
    names = sorted(set(names))
    wanted = select(Tag.id).where(Tag.name.in_(names))
    removed: Sequence[int] = []
    if not new:
        unlink = delete(ArticleTag).where(ArticleTag.article_id == article_id)
        if names:
            unlink = unlink.where(ArticleTag.tag_id.not_in(wanted))
        removed = (await session.scalars(unlink.returning(ArticleTag.tag_id))).all()
    added: Sequence[int] = []
    if names:
        await session.execute(insert_or_ignore(session, Tag), [{"name": name} for name in names])
        created_at = literal(article_created_at, ArticleTag.article_created_at.type)
        links = select(literal(article_id), Tag.id, created_at)
        link = insert_or_ignore(session, ArticleTag).from_select(
            ["article_id", "tag_id", "article_created_at"], links.where(Tag.name.in_(names)).order_by(Tag.id)
        )
        added = (await session.scalars(link.returning(ArticleTag.tag_id))).all()
    changes = list(also)
    if counted:
        changes += [(Count.TAG_ARTICLES, tag_id, 1) for tag_id in added]
        changes += [(Count.TAG_ARTICLES, tag_id, -1) for tag_id in removed]
    await deltas.add(session, changes)


async def unlink_all(session: AsyncSession, article_id: int) -> list[Delta]:
    """Detach every tag of an article about to be deleted (its ``tag_names`` is left as it is: the
    row goes next); the changes that take it out of their counts, for links really removed here."""
    unlinked = await session.scalars(
        delete(ArticleTag).where(ArticleTag.article_id == article_id).returning(ArticleTag.tag_id)
    )
    return [(Count.TAG_ARTICLES, tag_id, -1) for tag_id in unlinked]
