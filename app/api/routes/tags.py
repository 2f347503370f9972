"""Tags."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api import rendering
from app.api.deps import Context
from app.api.responses import errors
from app.schemas.articles import TagListResponse
from app.services import articles

router = APIRouter(tags=["Tags"])


@router.get(
    "/tags",
    name="tags:list",
    response_model=TagListResponse,
    responses=errors(),
    summary="Get tags, most used first",
)
async def list_tags(ctx: Context) -> Response:
    return rendering.respond({"tags": await articles.popular_tags(ctx)})
