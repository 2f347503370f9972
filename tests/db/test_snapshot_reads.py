"""``Database.read(work, snapshot=True)``: every statement of the read sees the same data, even when
another transaction commits between two of them (so an account export never mixes two moments).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.context import AppContext

COUNT_TAGS = text("SELECT count(*) FROM tags")
ADD_TAG = text("INSERT INTO tags (name, articles_count) VALUES ('late', 0)")


async def test_a_snapshot_read_does_not_see_what_commits_meanwhile(context: AppContext) -> None:
    async def work(session: AsyncSession) -> tuple[int | None, int | None]:
        before = await session.scalar(COUNT_TAGS)
        async with context.db.engine.begin() as other:  # another connection commits a row
            await other.execute(ADD_TAG)
        return before, await session.scalar(COUNT_TAGS)

    assert await context.db.read(work, snapshot=True) == (0, 0)
    assert await context.db.read(lambda session: session.scalar(COUNT_TAGS)) == 1
