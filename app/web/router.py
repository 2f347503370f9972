"""All pages, guarded by CSRF verification on every state-changing request."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.web.csrf import verify_csrf
from app.web.pages import article, auth, editor, home, profile, search, settings

web_router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
for module in (home, search, auth, settings, profile, editor, article):
    web_router.include_router(module.router)
