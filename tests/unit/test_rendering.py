"""The hand-built JSON of hot paths (``app/api/rendering.py``) is exactly what the declared
Pydantic response models would produce, key for key and in the same order."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from app import domain
from app.api import rendering
from app.schemas.articles import ArticleListResponse, ArticleOut, CommentOut, TagListResponse

AUTHOR = domain.Profile(username="jake", bio="I work at statefarm", image=None, following=True)
SUMMARY = domain.ArticleSummary(
    id=1,
    slug="how-to-train-your-dragon",
    title="How to train your dragon",
    description="Ever wonder how?",
    created_at=datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC),
    updated_at=datetime(2026, 11, 26, 13, 0, tzinfo=UTC),
    favorited=False,
    favorites_count=3,
    author=AUTHOR,
    tag_list=["dragons", "training"],
)
ARTICLE = domain.Article(**{name: getattr(SUMMARY, name) for name in SUMMARY.__slots__}, body="Ünïcode ✓")
COMMENT = domain.Comment(
    id=7, body="Nice", created_at=SUMMARY.created_at, updated_at=SUMMARY.updated_at, author=AUTHOR
)


def _pydantic(model: object) -> bytes:
    return model.model_dump_json(by_alias=True).encode()  # type: ignore[attr-defined]


def test_an_article_renders_as_its_response_model() -> None:
    assert orjson.dumps(rendering.article(ARTICLE)) == _pydantic(ArticleOut.model_validate(ARTICLE))


@pytest.mark.parametrize("articles", [[], [SUMMARY, SUMMARY]])
def test_a_page_renders_as_its_response_model(articles: list[domain.ArticleSummary]) -> None:
    page = domain.ArticlePage(articles=articles, articles_count=42)

    assert orjson.dumps(rendering.article_page(page)) == _pydantic(ArticleListResponse.model_validate(page))


def test_a_comment_renders_as_its_response_model() -> None:
    assert orjson.dumps(rendering.comment(COMMENT)) == _pydantic(CommentOut.model_validate(COMMENT))


def test_tags_render_as_their_response_model() -> None:
    tags = ["dragons", "training"]

    assert orjson.dumps({"tags": tags}) == _pydantic(TagListResponse(tags=tags))
