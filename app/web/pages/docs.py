"""``/docs``: Swagger UI served from the app's own static files."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from app.web.templating import templates

router = APIRouter()


@router.get("/docs", name="pages:docs")
async def api_docs(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
