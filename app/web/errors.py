"""Errors on pages: the site's own 404 and error pages; a missing sign-in becomes a redirect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from app.web.deps import SignInRequired, is_htmx
from app.web.forms import sentence
from app.web.templating import render

TITLES = {
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    413: "Too large",
    422: "That did not work",
    429: "Slow down",
    503: "Temporarily unavailable",
}


def sign_in_redirect(request: Request, target: str | None = None) -> Response:
    """To the sign-in page, then back to ``target`` (by default, this URL).

    htmx would follow a redirect and swap the whole sign-in page into a button, so an htmx request
    is told to navigate instead (``HX-Redirect``).
    """
    if target is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def page_error(request: Request, status_code: int, messages: list[str]) -> Response:
    """Renders the error page (the renderer ``app.api.errors`` calls for non-API paths)."""
    if status_code == 401:
        return sign_in_redirect(request)
    title = TITLES.get(status_code, "Something went wrong")
    # No visitor look-up here: the error may be the database itself.
    context = {
        "request": request,
        "visitor": None,
        "title": title,
        "messages": [sentence(message) for message in messages],
        "status": status_code,
    }
    return render(request, "error.html", context, status_code=status_code)


async def sign_in_required(request: Request, _error: Exception) -> Response:
    assert isinstance(_error, SignInRequired)
    return sign_in_redirect(request)
