"""One-time notices shown on the next page after a redirect ("Your account has been deleted").

The cookie carries only a key of ``NOTICES``, never text, so nothing a visitor or another site sets
can put words on a page; ``render`` shows the notice once and clears the cookie.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

from app.web.cookies import is_secure

NOTICE_COOKIE = "conduit_notice"
NOTICE_MAX_AGE_SECONDS = 60
NOTICES = {
    "account-deleted": "Your account has been deleted, with your articles, comments and favorites.",
}


def set_notice(response: Response, connection: HTTPConnection, key: str) -> None:
    assert key in NOTICES, key
    response.set_cookie(
        NOTICE_COOKIE,
        key,
        max_age=NOTICE_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=is_secure(connection),
        path="/",
    )


def pending_notice(connection: HTTPConnection) -> str | None:
    """The text of the notice waiting for this browser, if any (an unknown key shows nothing)."""
    key = connection.cookies.get(NOTICE_COOKIE)
    return NOTICES.get(key) if key else None


def clear_notice(response: Response, connection: HTTPConnection) -> None:
    response.delete_cookie(
        NOTICE_COOKIE, path="/", httponly=True, samesite="lax", secure=is_secure(connection)
    )
