"""The tags in use, most used first, in one statement."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, select

from app.db.direct import RowReader
from app.db.models import Tag


@functools.cache
def _popular_tags_statement() -> Select[Any]:
    return select(Tag.name).where(Tag.articles_count > 0).order_by(Tag.articles_count.desc(), Tag.name)


async def popular_tags(reader: RowReader) -> list[str]:
    """Tags on at least one article, most used first, then alphabetically."""
    return [row["name"] for row in await reader.rows(_popular_tags_statement(), {})]
