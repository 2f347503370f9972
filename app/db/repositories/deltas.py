"""Writing counter changes: one ``count_deltas`` row per change, in the writer's transaction.

Never an UPDATE of a counted row (see ``app/db/counts.py``): inserts of many writers proceed side
by side, and the folder adds them to the bases later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, insert, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import GLOBAL, Count
from app.db.models import Article, count_deltas

Delta = tuple[Count, int, int]  # (kind, target id, change)

# Rows per INSERT: 3 bound parameters each, far below both engines' limits (SQLite 32,766; asyncpg 32,767).
_CHUNK = 1000


async def add(session: AsyncSession, deltas: Sequence[Delta]) -> None:
    """Record the changes (one statement up to ``_CHUNK`` of them; nothing for none)."""
    rows = [{"kind": kind.value, "target_id": target, "delta": step} for kind, target, step in deltas if step]
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(count_deltas).values(rows[start : start + _CHUNK]))


def article_counted(author_id: int, step: int) -> list[Delta]:
    """A visible article counted in (``step=1``) or out (``-1``) of the global and its author's totals."""
    return [(Count.ARTICLES, GLOBAL, step), (Count.USER_ARTICLES, author_id, step)]


def _ids_reused(session: AsyncSession) -> bool:
    """SQLite gives a new row the highest rowid plus one, so a deleted row's id comes back; its
    pending deltas must not. PostgreSQL's identities never come back, and there the deltas of a
    deleted row are simply dropped by the next fold (its UPDATE finds no row). Not deleting them
    there also keeps deletes from waiting on (or deadlocking with) a fold holding those rows."""
    return session.get_bind().dialect.name == "sqlite"


async def forget_user(session: AsyncSession, user_id: int) -> None:
    """Drop the pending deltas of a user about to be deleted and of their articles, where ids are
    reused (``_ids_reused``)."""
    if not _ids_reused(session):
        return
    own = count_deltas.c.target_id == user_id
    authored = count_deltas.c.target_id.in_(select(Article.id).where(Article.author_id == user_id))
    await session.execute(
        delete(count_deltas).where(
            or_(
                count_deltas.c.kind.in_([Count.USER_ARTICLES.value, Count.USER_FAVORITES.value]) & own,
                (count_deltas.c.kind == Count.ARTICLE_FAVORITES.value) & authored,
            )
        )
    )


async def forget_article(session: AsyncSession, article_id: int) -> None:
    """Drop the pending deltas of an article about to be deleted, where ids are reused."""
    if not _ids_reused(session):
        return
    await session.execute(
        delete(count_deltas).where(
            count_deltas.c.kind == Count.ARTICLE_FAVORITES.value, count_deltas.c.target_id == article_id
        )
    )


async def add_from(session: AsyncSession, *sources: Select[Any]) -> None:
    """Record the changes that ``sources`` select, each as (kind, target id, change), in one
    ``INSERT ... SELECT``: for changes read from other rows in the same statement."""
    query = sources[0] if len(sources) == 1 else union_all(*sources)
    await session.execute(insert(count_deltas).from_select(["kind", "target_id", "delta"], query))


def constant(kind: Count, target: Any, change: int) -> Select[Any]:
    """One change as a source for ``add_from`` (``target`` may be a column of a FROM to come)."""
    return select(literal(kind.value), target, literal(change))
