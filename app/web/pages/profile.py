"""Profiles: ``/profile/<username>`` (their articles), ``/profile/<username>/favorites`` (what they
favorited), and the follow / unfollow buttons."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.api.deps import Context
from app.services import articles, profiles
from app.web.deps import MaybeVisitor, claims_of, is_htmx, page_context, safe_next
from app.web.errors import sign_in_redirect
from app.web.pagination import PAGE_SIZE, PageNumber, offset_of, page_count, page_links
from app.web.templating import render

router = APIRouter()

NextField = Annotated[str, Form(alias="next")]
Tab = Literal["articles", "favorites"]


def profile_path(username: str) -> str:
    return f"/profile/{quote(username, safe='')}"


async def _profile_page(
    request: Request, ctx: Context, visitor: MaybeVisitor, username: str, tab: Tab, page: int
) -> HTMLResponse:
    claims = claims_of(visitor)
    profile = await profiles.get(ctx, claims, username)
    # The profile's own spelling of the name from here on: /profile/JAKE lists jake's articles.
    home = profile_path(profile.username)
    path = home if tab == "articles" else f"{home}/favorites"
    listing = await articles.list_articles(
        ctx,
        claims,
        tag=None,
        author=profile.username if tab == "articles" else None,
        favorited=profile.username if tab == "favorites" else None,
        limit=PAGE_SIZE,
        offset=offset_of(page),
    )
    context = page_context(
        request,
        visitor,
        active="profile",
        profile=profile,
        profile_url=home,
        is_self=visitor is not None and visitor.account.username == profile.username,
        tab=tab,
        page=listing,
        page_number=page,
        pages=page_count(listing.articles_count),
        url_for_page=page_links(path),
        current_url=path + (f"?{request.url.query}" if request.url.query else ""),
    )
    return render(request, "profile.html", context)


@router.get("/profile/{username}", name="pages:profile")
async def profile_articles(
    request: Request, ctx: Context, visitor: MaybeVisitor, username: str, page: PageNumber = 1
) -> HTMLResponse:
    return await _profile_page(request, ctx, visitor, username, "articles", page)


@router.get("/profile/{username}/favorites", name="pages:profile-favorites")
async def profile_favorites(
    request: Request, ctx: Context, visitor: MaybeVisitor, username: str, page: PageNumber = 1
) -> HTMLResponse:
    return await _profile_page(request, ctx, visitor, username, "favorites", page)


async def _toggle_follow(
    request: Request, ctx: Context, visitor: MaybeVisitor, username: str, next_target: str, *, follow: bool
) -> Response:
    back = safe_next(next_target, profile_path(username))
    if visitor is None:
        # Back to the page the button was on after signing in, not to this POST-only address.
        return sign_in_redirect(request, back)
    if follow:
        profile = await profiles.follow(ctx, visitor.claims, username)
    else:
        profile = await profiles.unfollow(ctx, visitor.claims, username)
    if is_htmx(request):
        context = page_context(request, visitor, profile=profile, next=back)
        return render(request, "partials/follow_button.html", context)
    return RedirectResponse(back, status_code=303)


@router.post("/profile/{username}/follow", name="pages:follow")
async def follow(
    request: Request, ctx: Context, visitor: MaybeVisitor, username: str, next_target: NextField = ""
) -> Response:
    return await _toggle_follow(request, ctx, visitor, username, next_target, follow=True)


@router.post("/profile/{username}/unfollow", name="pages:unfollow")
async def unfollow(
    request: Request, ctx: Context, visitor: MaybeVisitor, username: str, next_target: NextField = ""
) -> Response:
    return await _toggle_follow(request, ctx, visitor, username, next_target, follow=False)
