"""Who may use the admin console: staff, signed in with the site's own session cookie.

There is no separate admin password: the console reads the same session (``conduit_session``) the
pages use. Signed out, or a session that no longer signs anyone in (expired, revoked, deactivated):
off to the sign-in page, and back to the console afterwards. Signed in but not staff: 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqladmin.authentication import AuthenticationBackend
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app import domain
from app.exceptions import Forbidden, NotAuthenticated
from app.security.tokens import TokenClaims
from app.services import moderation
from app.services.context import AppContext
from app.web.cookies import session_claims
from app.web.errors import sign_in_redirect

_STATE_KEY = "admin_session"


@dataclass(frozen=True, slots=True)
class AdminSession:
    """What an admin request acts with: the app's context, the staff member and their claims."""

    context: AppContext
    claims: TokenClaims
    staff: domain.StaffMember


def admin_session(request: Request) -> AdminSession:
    """The session ``StaffOnly.authenticate`` admitted (every console route runs it first)."""
    session: AdminSession = getattr(request.state, _STATE_KEY)
    return session


class StaffOnly(AuthenticationBackend):
    def __init__(self, app: FastAPI) -> None:
        # No super().__init__: its cookie session would be a second sign-in; ours is the site's.
        self.middlewares = []
        self._app = app

    async def authenticate(self, request: Request) -> Response | bool:
        context: AppContext = self._app.state.context
        claims = session_claims(request, context.tokens)
        if claims is None:
            return sign_in_redirect(request)
        try:
            staff = await moderation.staff_member(context, claims)
        except NotAuthenticated:
            return sign_in_redirect(request)
        except Forbidden as error:
            raise HTTPException(status_code=403, detail=f"Not allowed: {error.message}.") from error
        setattr(request.state, _STATE_KEY, AdminSession(context=context, claims=claims, staff=staff))
        return True

    async def get_user_id(self, request: Request) -> Any:
        return admin_session(request).staff.id
