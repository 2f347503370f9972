"""Only the configured ``Host`` names are served (``ALLOWED_HOSTS``); any other gets 400.

Starlette's ``TrustedHostMiddleware`` decides; it answers a refusal in plain text, so it is used
here as the judge only, and the refusal is answered in the error envelope. Always JSON, also for
page paths: rendering a page would build links from the very Host header being refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response

_ALLOWED = "conduit.host_allowed"
BAD_HOST = "host header is not allowed"


async def _mark_allowed(scope: Scope, _receive: Receive, _send: Send) -> None:
    scope[_ALLOWED] = True


async def _discard(_message: Message) -> None:
    """Swallows the judge's own plain-text answer."""


class AllowedHostsMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        # www_redirect off: a redirect to another host is not ours to offer.
        self.judge = TrustedHostMiddleware(_mark_allowed, allowed_hosts=allowed_hosts, www_redirect=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the app serves no websockets; lifespan has no Host
            await self.app(scope, receive, send)
            return
        await self.judge(scope, receive, _discard)
        if scope.pop(_ALLOWED, False):
            await self.app(scope, receive, send)
        else:
            await error_response(400, [BAD_HOST])(scope, receive, send)
