"""The Jinja2 environment: autoescaped templates, filters for dates, the CSRF token."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from app.schemas.articles import SEARCH_MAX
from app.web.notices import NOTICE_COOKIE, clear_notice, pending_notice

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["date"] = lambda value: (
    value.strftime("%B %-d, %Y") if isinstance(value, datetime) else ""
)
templates.env.globals["search_max"] = SEARCH_MAX
templates.env.filters["datetime"] = lambda value: (
    value.strftime("%B %-d, %Y %H:%M UTC") if isinstance(value, datetime) else ""
)
templates.env.filters["isodate"] = lambda value: value.isoformat() if isinstance(value, datetime) else ""


def _csrf_token(request: Request) -> str:
    seed = getattr(request.state, "csrf_seed", None)
    return request.app.state.csrf_tokens.token_for(seed) if seed else ""


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A page (or an htmx fragment) from ``template``, with the visitor's CSRF token available, and
    the notice waiting for this browser (shown once, then cleared)."""
    notice = pending_notice(request)
    response = templates.TemplateResponse(
        request,
        template,
        {**context, "csrf_token": _csrf_token(request), "notice": notice},
        status_code=status_code,
    )
    if NOTICE_COOKIE in request.cookies:
        clear_notice(response, request)
    return response
