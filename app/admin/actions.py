"""Running a moderation service from a console action, and answering the browser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqladmin import ModelView
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.admin.access import admin_session
from app.exceptions import ConduitError, InvalidInput
from app.security.tokens import TokenClaims
from app.services.context import AppContext

Moderation = Callable[[AppContext, TokenClaims, Sequence[int]], Awaitable[int]]


def selected_ids(request: Request) -> list[int]:
    """The rows ticked in the list (``?pks=1,2``), or the row of the details page."""
    raw = [part.strip() for part in request.query_params.get("pks", "").split(",") if part.strip()]
    if not all(part.isdigit() for part in raw):
        raise InvalidInput("the selection is not a list of row ids")
    return [int(part) for part in raw]


async def moderate(
    view: ModelView, request: Request, moderation: Moderation, *, back_to_list: bool = False
) -> Response:
    """Run ``moderation`` on the selected rows; then back to the page the action was started from
    (or the list, e.g. after a delete). A refusal goes to the list with its reason shown there."""
    session = admin_session(request)
    listing = str(request.url_for("admin:list", identity=view.identity))
    try:
        await moderation(session.context, session.claims, selected_ids(request))
    except ConduitError as error:
        return RedirectResponse(f"{listing}?{urlencode({'error': error.message})}", status_code=303)
    target = listing if back_to_list else _page_before(request, default=listing)
    return RedirectResponse(target, status_code=303)


def _page_before(request: Request, *, default: str) -> str:
    """The console page that sent the browser here (its old ``error`` dropped), if it is one."""
    referer = urlsplit(request.headers.get("referer", ""))
    console = urlsplit(str(request.url_for("admin:index")))
    if referer.netloc != request.url.netloc or not referer.path.startswith(console.path):
        return default
    query = urlencode([(name, value) for name, value in parse_qsl(referer.query) if name != "error"])
    return referer.path + (f"?{query}" if query else "")
