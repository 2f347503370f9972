"""Page numbers for lists: ``?page=N`` (1-based) over the services' limit/offset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query

from app.schemas.articles import OFFSET_MAX

PAGE_SIZE = 10
MAX_PAGE = OFFSET_MAX // PAGE_SIZE + 1

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number")]


def offset_of(page: int) -> int:
    return (page - 1) * PAGE_SIZE


def page_count(total: int) -> int:
    return min(max(1, -(-total // PAGE_SIZE)), MAX_PAGE)


def page_links(path: str, **params: str | None) -> Callable[[int], str]:
    """``url_for_page(n)`` for a list at ``path`` keeping the other query parameters."""
    kept = {name: value for name, value in params.items() if value}

    def url_for_page(number: int) -> str:
        query = urlencode({**kept, **({"page": str(number)} if number > 1 else {})})
        return f"{path}?{query}" if query else path

    return url_for_page
