"""``accounts.read_one_snapshot``: every statement of a read transaction sees the same data, even
when another transaction commits between two of them (so an export never mixes two moments).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repositories import accounts
from app.services.context import AppContext

COUNT_TAGS = text("SELECT count(*) FROM tags")
ADD_TAG = text("INSERT INTO tags (name, articles_count) VALUES ('late', 0)")


async def test_a_snapshot_read_does_not_see_what_commits_meanwhile(context: AppContext) -> None:
    async def work(session: AsyncSession) -> tuple[int | None, int | None]:
        await accounts.read_one_snapshot(session)
        before = await session.scalar(COUNT_TAGS)
        async with context.db.engine.begin() as other:  # another connection commits a row
            await other.execute(ADD_TAG)
        return before, await session.scalar(COUNT_TAGS)

    assert await context.db.read(work) == (0, 0)
    assert await context.db.read(lambda session: session.scalar(COUNT_TAGS)) == 1
