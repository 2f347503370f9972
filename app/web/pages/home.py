"""Home: global feed, your feed, a tag's articles; popular tags."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from app.api.deps import Context
from app.services import articles
from app.web.deps import MaybeVisitor, SignInRequired, page_context
from app.web.pagination import PAGE_SIZE, PageNumber, offset_of, page_count, page_links
from app.web.templating import render

router = APIRouter()


@router.get("/", name="pages:home")
async def home(
    request: Request,
    ctx: Context,
    visitor: MaybeVisitor,
    feed: Literal["global", "following"] = "global",
    tag: Annotated[str | None, Query(max_length=40)] = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    offset = offset_of(page)
    if feed == "following":
        if visitor is None:
            raise SignInRequired
        listing = await articles.feed(ctx, visitor.claims, limit=PAGE_SIZE, offset=offset)
    else:
        claims = visitor.claims if visitor else None
        listing = await articles.list_articles(
            ctx, claims, tag=tag or None, author=None, favorited=None, limit=PAGE_SIZE, offset=offset
        )
    context = page_context(
        request,
        visitor,
        active="home",
        feed=feed,
        tag=tag,
        page=listing,
        page_number=page,
        pages=page_count(listing.articles_count),
        url_for_page=page_links("/", feed=feed if feed != "global" else None, tag=tag),
        tags=await articles.popular_tags(ctx),
        current_url=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
    )
    return render(request, "home.html", context)
