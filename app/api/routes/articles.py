"""Articles, the feed and favorites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from app.api import rendering
from app.api.deps import Caller, Context, OptionalCaller
from app.api.query import documented, query_model
from app.api.responses import OPTIONAL_AUTH, errors
from app.domain import Article, ArticlePage
from app.schemas.articles import (
    ArticleListQuery,
    ArticleListResponse,
    ArticleResponse,
    ArticleUpdateRequest,
    ListQuery,
    NewArticleRequest,
)
from app.services import articles

router = APIRouter(prefix="/articles", tags=["Articles"])

ListParameters = Annotated[ArticleListQuery, Depends(query_model(ArticleListQuery))]
PageParameters = Annotated[ListQuery, Depends(query_model(ListQuery))]


def _article_response(article: Article, status_code: int = status.HTTP_200_OK) -> Response:
    return rendering.respond({"article": rendering.article(article)}, status_code)


def _list_response(page: ArticlePage) -> Response:
    return rendering.respond(rendering.article_page(page))


@router.get(
    "",
    name="articles:list",
    response_model=ArticleListResponse,
    responses=errors(401),
    summary="Get recent articles globally",
    openapi_extra=documented(ArticleListQuery, **OPTIONAL_AUTH),
)
async def list_articles(query: ListParameters, ctx: Context, caller: OptionalCaller) -> Response:
    page = await articles.list_articles(
        ctx,
        caller,
        tag=query.tag,
        author=query.author,
        favorited=query.favorited,
        limit=query.limit,
        offset=query.offset,
        search=query.search,
    )
    return _list_response(page)


@router.get(
    "/feed",
    name="articles:feed",
    response_model=ArticleListResponse,
    responses=errors(401),
    summary="Get recent articles from users you follow",
    openapi_extra=documented(ListQuery),
)
async def feed(query: PageParameters, ctx: Context, caller: Caller) -> Response:
    return _list_response(await articles.feed(ctx, caller, limit=query.limit, offset=query.offset))


@router.post(
    "",
    name="articles:create",
    response_model=ArticleResponse,
    status_code=status.HTTP_201_CREATED,
    responses=errors(401, 413, 429),
    summary="Create an article",
)
async def create_article(request: NewArticleRequest, ctx: Context, caller: Caller) -> Response:
    return _article_response(await articles.create(ctx, caller, request.article), status.HTTP_201_CREATED)


@router.get(
    "/{slug}",
    name="articles:get",
    response_model=ArticleResponse,
    responses=errors(401, 404),
    summary="Get an article",
    openapi_extra=OPTIONAL_AUTH,
)
async def get_article(slug: str, ctx: Context, caller: OptionalCaller) -> Response:
    return _article_response(await articles.get(ctx, caller, slug))


@router.put(
    "/{slug}",
    name="articles:update",
    response_model=ArticleResponse,
    responses=errors(401, 403, 404, 413, 429),
    summary="Update an article",
)
async def update_article(slug: str, request: ArticleUpdateRequest, ctx: Context, caller: Caller) -> Response:
    return _article_response(await articles.update(ctx, caller, slug, request.article))


@router.delete(
    "/{slug}",
    name="articles:delete",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 403, 404, 429),
    summary="Delete an article",
)
async def delete_article(slug: str, ctx: Context, caller: Caller) -> None:
    await articles.delete(ctx, caller, slug)


@router.post(
    "/{slug}/favorite",
    name="articles:favorite",
    response_model=ArticleResponse,
    responses=errors(401, 404, 429),
    summary="Favorite an article",
)
async def favorite(slug: str, ctx: Context, caller: Caller) -> Response:
    return _article_response(await articles.favorite(ctx, caller, slug))


@router.delete(
    "/{slug}/favorite",
    name="articles:unfavorite",
    response_model=ArticleResponse,
    responses=errors(401, 404, 429),
    summary="Unfavorite an article",
)
async def unfavorite(slug: str, ctx: Context, caller: Caller) -> Response:
    return _article_response(await articles.unfavorite(ctx, caller, slug))
