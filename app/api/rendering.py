"""Hot read paths' JSON, built straight from the read models with orjson.

The routes still declare their Pydantic response models (the OpenAPI document is unchanged), but
returning a ready :class:`JSONBytes` skips validating and serialising every article through them,
which cost more than the database on list pages. The shapes here mirror those models key for key
(``tests/unit/test_rendering.py`` compares them).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from app import domain
from app.api.errors import JSON_MEDIA_TYPE
from app.schemas.base import format_timestamp


class JSONBytes(Response):
    media_type = JSON_MEDIA_TYPE


def respond(content: dict[str, Any], status_code: int = 200) -> JSONBytes:
    return JSONBytes(orjson.dumps(content), status_code=status_code)


def profile(author: domain.Profile) -> dict[str, Any]:
    return {
        "username": author.username,
        "bio": author.bio,
        "image": author.image,
        "following": author.following,
    }


def article(view: domain.ArticleSummary) -> dict[str, Any]:
    fields = {
        "slug": view.slug,
        "title": view.title,
        "description": view.description,
        "tagList": view.tag_list,
        "createdAt": format_timestamp(view.created_at),
        "updatedAt": format_timestamp(view.updated_at),
        "favorited": view.favorited,
        "favoritesCount": view.favorites_count,
        "author": profile(view.author),
    }
    if isinstance(view, domain.Article):
        fields["body"] = view.body
    return fields


def article_page(page: domain.ArticlePage) -> dict[str, Any]:
    return {"articles": [article(view) for view in page.articles], "articlesCount": page.articles_count}


def comment(view: domain.Comment) -> dict[str, Any]:
    return {
        "id": view.id,
        "createdAt": format_timestamp(view.created_at),
        "updatedAt": format_timestamp(view.updated_at),
        "body": view.body,
        "author": profile(view.author),
    }
