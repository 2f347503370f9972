"""The tags in use, most used first, in one statement."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, select

from app.db.counts import Count, current
from app.db.direct import RowReader
from app.db.models import Tag


@functools.cache
def _popular_tags_statement() -> Select[Any]:
    used = current(Tag.articles_count, Count.TAG_ARTICLES, Tag.id)
    return select(Tag.name).where(used > 0).order_by(used.desc(), Tag.name)


async def popular_tags(reader: RowReader) -> list[str]:
    """Tags on at least one article, most used first, then alphabetically."""
    return [row["name"] for row in await reader.rows(_popular_tags_statement(), {})]
