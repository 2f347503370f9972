"""Comments on an article."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.api import rendering
from app.api.deps import Caller, Context, OptionalCaller
from app.api.responses import OPTIONAL_AUTH, errors
from app.schemas.articles import CommentListResponse, CommentResponse, NewCommentRequest
from app.services import comments

router = APIRouter(prefix="/articles/{slug}/comments", tags=["Comments"])

CommentId = Annotated[int, Path(alias="id", ge=1, le=2**63 - 1, description="ID of the comment")]


@router.get(
    "",
    name="comments:list",
    response_model=CommentListResponse,
    responses=errors(401, 404),
    summary="Get comments for an article",
    openapi_extra=OPTIONAL_AUTH,
)
async def list_comments(slug: str, ctx: Context, caller: OptionalCaller) -> Response:
    found = await comments.list_comments(ctx, caller, slug)
    return rendering.respond({"comments": [rendering.comment(comment) for comment in found]})


@router.post(
    "",
    name="comments:add",
    response_model=CommentResponse,
    responses=errors(401, 404, 413, 429),
    summary="Create a comment for an article",
)
async def add_comment(slug: str, request: NewCommentRequest, ctx: Context, caller: Caller) -> Response:
    return rendering.respond(
        {"comment": rendering.comment(await comments.add(ctx, caller, slug, request.comment))}
    )


@router.delete(
    "/{id}",
    name="comments:delete",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 403, 404, 429),
    summary="Delete a comment for an article",
)
async def delete_comment(slug: str, comment_id: CommentId, ctx: Context, caller: Caller) -> None:
    await comments.delete(ctx, caller, slug, comment_id)
