"""Search: ``/search?q=...`` lists the articles that match, best match first, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from app.api.deps import Context
from app.schemas.articles import SEARCH_MAX
from app.services import articles
from app.web.deps import MaybeVisitor, claims_of, page_context
from app.web.pagination import PAGE_SIZE, PageNumber, offset_of, page_count, page_links
from app.web.templating import render

router = APIRouter()


@router.get("/search", name="pages:search")
async def search(
    request: Request,
    ctx: Context,
    visitor: MaybeVisitor,
    q: Annotated[str, Query(max_length=SEARCH_MAX)] = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    words = q.strip()
    # An empty search box shows the box, not every article (the API lists everything).
    listing = None
    if words:
        listing = await articles.list_articles(
            ctx,
            claims_of(visitor),
            tag=None,
            author=None,
            favorited=None,
            limit=PAGE_SIZE,
            offset=offset_of(page),
            search=words,
        )
    context = page_context(
        request,
        visitor,
        active="search",
        search_text=words,
        page=listing,
        page_number=page,
        pages=page_count(listing.articles_count if listing else 0),
        url_for_page=page_links("/search", q=words),
        current_url=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    )
    return render(request, "search.html", context)
