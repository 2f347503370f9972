"""CSRF protection for the admin console: state-changing requests must come from the console itself.

sqladmin runs its actions as plain GET links (``/admin/<view>/action/<name>?pks=...``) and its
forms as POSTs, with no token of their own. A browser sends our session cookie (SameSite=Lax) on a
top-level GET navigation started by another site, so such a link alone could deactivate a user.
Every state-changing request is therefore refused (403, nothing done) unless the browser says it
came from this origin: ``Sec-Fetch-Site: same-origin`` (sent by every current browser, and which
pages cannot forge), or else an ``Origin`` or ``Referer`` naming this very scheme and host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# GET routes of the console that change something: custom actions, and signing out.
_STATE_CHANGING_GETS = re.compile(r"^/(?:[^/]+/action/[^/]+|logout)/?$")


def changes_state(method: str, route_path: str) -> bool:
    return method not in SAFE_METHODS or bool(_STATE_CHANGING_GETS.match(route_path))


def is_same_origin(scope: Scope) -> bool:
    headers = Headers(scope=scope)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        # "none" (typed or bookmarked) and "same-site" (a sibling subdomain) are refused too.
        return fetch_site == "same-origin"
    own = f"{scope['scheme']}://{headers.get('host', '')}".lower()
    origin = headers.get("origin")
    if origin is not None:
        return origin.lower() == own
    referer = urlsplit(headers.get("referer", ""))
    return bool(referer.netloc) and f"{referer.scheme}://{referer.netloc}".lower() == own


class SameOriginGuard:
    """Refuses cross-site state-changing requests to the app it wraps (the console's sub-app)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and changes_state(scope["method"], _route_path(scope))
            and not is_same_origin(scope)
        ):
            response = PlainTextResponse(
                "Refused: this request did not come from the admin console. Nothing was changed.",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path inside the mount (``/user/action/deactivate`` for ``/admin/user/action/deactivate``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
