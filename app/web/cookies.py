"""The two cookies pages use: the session (the same JWT the API issues) and the CSRF seed."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from app.security.tokens import InvalidToken, TokenClaims, TokenCodec
from config import Settings

SESSION_COOKIE = "conduit_session"
CSRF_COOKIE = "conduit_csrf"


def is_secure(connection: HTTPConnection) -> bool:
    """Served over TLS (directly, or behind a proxy whose X-Forwarded-Proto uvicorn trusted)."""
    return connection.url.scheme == "https"


def set_session(response: Response, connection: HTTPConnection, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.jwt_lifetime_seconds,
        httponly=True,
        samesite="lax",
        secure=is_secure(connection),
        path="/",
    )


def clear_session(response: Response, connection: HTTPConnection) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(connection)
    )


def session_claims(connection: HTTPConnection, tokens: TokenCodec) -> TokenClaims | None:
    """The claims of this browser's session cookie; ``None`` when it has none or it is forged/expired."""
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return tokens.decode(token)
    except InvalidToken:
        return None
