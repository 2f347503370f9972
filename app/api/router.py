"""The ``/api`` router: every resource router under one prefix and one query-parameter guard."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.api.query_guard import guard_parameters
from app.api.routes import articles, comments, events, profiles, tags, users

api_router = APIRouter(prefix="/api", dependencies=[Depends(guard_parameters)])
for module in (users, profiles, articles, comments, tags, events):
    api_router.include_router(module.router)
