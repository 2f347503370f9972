"""The admin console at ``/admin`` (sqladmin): staff browse and moderate; see ``views``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqladmin import Admin
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.admin.access import StaffOnly
from app.admin.origin import SameOriginGuard
from app.admin.views import VIEWS
from app.web.cookies import clear_session
from app.web.errors import sign_in_redirect

BASE_URL = "/admin"


class _AppSessions(async_sessionmaker[AsyncSession]):
    """Sessions on the running app's engine, which exists only once the app's lifespan has begun."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(expire_on_commit=False)
        self._app = app

    def __call__(self, **local_kw: Any) -> AsyncSession:
        return super().__call__(bind=self._app.state.context.db.engine, **local_kw)


class ConduitAdmin(Admin):
    """sqladmin, signed in through the site: no login form of its own."""

    async def login(self, request: Request) -> Response:
        return sign_in_redirect(request, BASE_URL)

    async def logout(self, request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        clear_session(response, request)
        return response


def install(app: FastAPI) -> None:
    """Mount the console on ``app``."""
    admin = ConduitAdmin(
        app,
        session_maker=_AppSessions(app),
        base_url=BASE_URL,
        title="Conduit admin",
        favicon_url="/static/img/favicon.svg",
        authentication_backend=StaffOnly(app),
        middlewares=[Middleware(SameOriginGuard)],
    )
    for view in VIEWS:
        admin.add_view(view)
