"""Tags."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import Context
from app.api.responses import errors
from app.schemas.articles import TagListResponse
from app.services import articles

router = APIRouter(tags=["Tags"])


@router.get("/tags", name="tags:list", responses=errors(), summary="Get tags, most used first")
async def list_tags(ctx: Context) -> TagListResponse:
    return TagListResponse(tags=await articles.popular_tags(ctx))
