"""CSRF protection for forms: a signed double-submit token.

Each browser gets a random seed in an HttpOnly cookie; pages embed a token that is the seed signed
with the server's secret (itsdangerous). A state-changing request must send the token back (form field
``csrf_token`` or header ``X-CSRF-Token``, which htmx adds), and it must match this browser's seed.
Another site can neither read the seed nor sign one, so a forged or missing token gets 403.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.exceptions import Forbidden
from app.web.cookies import CSRF_COOKIE

FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SALT = "conduit-csrf"


class CsrfTokens:
    def __init__(self, secret: str, *, max_age_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=_SALT)
        self._max_age = max_age_seconds

    def token_for(self, seed: str) -> str:
        return self._serializer.dumps(seed)

    def matches(self, token: str, seed: str) -> bool:
        try:
            signed_seed = self._serializer.loads(token, max_age=self._max_age)
        except BadSignature:
            return False
        return isinstance(signed_seed, str) and hmac.compare_digest(signed_seed, seed)


class CsrfSeedMiddleware:
    """Makes sure every page visitor has a CSRF seed cookie; exposes it as ``request.state.csrf_seed``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        seed = _cookie(scope, CSRF_COOKIE)
        new_seed = seed is None or len(seed) < 32
        if new_seed:
            seed = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_seed"] = seed

        async def send_with_cookie(message: Message) -> None:
            if new_seed and message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                headers.append("set-cookie", f"{CSRF_COOKIE}={seed}; Path=/; HttpOnly; SameSite=Lax{secure}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            morsel = SimpleCookie(value.decode("latin-1")).get(name)
            if morsel is not None:
                return morsel.value
    return None


async def verify_csrf(request: Request) -> None:
    """Router dependency: refuse a state-changing request without this browser's valid token."""
    if request.method in SAFE_METHODS:
        return
    token = request.headers.get(HEADER)
    if token is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(FORM_FIELD)
        token = value if isinstance(value, str) else None
    seed = getattr(request.state, "csrf_seed", None)
    tokens: CsrfTokens = request.app.state.csrf_tokens
    if not token or not seed or not tokens.matches(token, seed):
        raise Forbidden("the form has expired or did not come from this site; reload the page and try again")
