"""JWT access tokens (HS256 pinned; ``exp`` required).

A token names its user and the session it was issued for (``sid``); it works only while that session
exists (``app/db/repositories/sessions.py``). Tokens from before sessions (migration 0007) carry a
credentials version instead and no ``sid``: they are refused, and their holders sign in again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from config import Settings

ALGORITHM = "HS256"
MAX_USER_ID = 2**63 - 1
MAX_SESSION_ID = 64  # characters; see app/db/models.py


@dataclass(frozen=True, slots=True)
class TokenClaims:
    """Who a valid token speaks for: the user id and the session it was issued for."""

    user_id: int
    session_id: str


class InvalidToken(Exception):
    """The token is malformed, forged, expired or of the wrong algorithm."""


class TokenCodec:
    def __init__(self, settings: Settings) -> None:
        self._secret = settings.jwt_secret.get_secret_value()
        self._lifetime = timedelta(seconds=settings.jwt_lifetime_seconds)

    def issue(self, claims: TokenClaims) -> str:
        now = datetime.now(UTC)
        payload = {
            "sub": str(claims.user_id),
            "sid": claims.session_id,
            "iat": now,
            "exp": now + self._lifetime,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> TokenClaims:
        try:
            payload = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid"]}
            )
            user_id, session_id = int(payload["sub"]), payload["sid"]
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(str(error)) from error
        if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SESSION_ID:
            raise InvalidToken("malformed token session")
        # Ids are 64-bit database integers; a larger one would fail in the query instead of here.
        if not 0 < user_id <= MAX_USER_ID:
            raise InvalidToken("malformed token subject")
        return TokenClaims(user_id=user_id, session_id=session_id)
