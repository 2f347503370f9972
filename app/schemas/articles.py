"""Articles, article lists, tags and comments."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from app.db.models import TAG_MAX, TITLE_MAX
from app.schemas.base import (
    NOT_BLANK_PATTERN,
    NOT_BLANK_SCHEMA,
    ApiModel,
    InputModel,
    NotBlank,
    Timestamp,
    not_nullable,
)
from app.schemas.profiles import ProfileOut

DESCRIPTION_MAX = 1000
BODY_MAX = 100_000
COMMENT_MAX = 20_000
TAGS_PER_ARTICLE = 10
TAG_LIST_INPUT_MAX = 100  # before de-duplication; bounds the work a request can ask for
LIMIT_DEFAULT, LIMIT_MAX, OFFSET_MAX = 20, 100, 10_000


def normalize_tag(value: str) -> str:
    """Tags are trimmed and lower-cased; 1 to 40 characters, no control characters."""
    tag = value.strip().lower()
    if not tag:
        raise ValueError("tags can't be blank")
    if len(tag) > TAG_MAX:
        raise ValueError(f"tags are at most {TAG_MAX} characters")
    if any(not character.isprintable() for character in tag):
        raise ValueError("tags can't contain control characters")
    return tag


def _normalize_tag_list(values: list[str]) -> list[str]:
    tags = sorted({normalize_tag(value) for value in values})
    if len(tags) > TAGS_PER_ARTICLE:
        raise ValueError(f"at most {TAGS_PER_ARTICLE} tags per article")
    return tags


# Documented per tag: not blank. The rest (40 characters after trimming, printable, 10 distinct
# per article) depends on trimming and de-duplication, which JSON Schema cannot express.
TagInput = Annotated[str, Field(json_schema_extra={"minLength": 1, "pattern": NOT_BLANK_PATTERN})]
TagList = Annotated[list[TagInput], Field(max_length=TAG_LIST_INPUT_MAX), AfterValidator(_normalize_tag_list)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX), NotBlank, NOT_BLANK_SCHEMA]
Description = Annotated[
    str, StringConstraints(min_length=1, max_length=DESCRIPTION_MAX), NotBlank, NOT_BLANK_SCHEMA
]
Body = Annotated[str, StringConstraints(min_length=1, max_length=BODY_MAX), NotBlank, NOT_BLANK_SCHEMA]
CommentBody = Annotated[
    str, StringConstraints(min_length=1, max_length=COMMENT_MAX), NotBlank, NOT_BLANK_SCHEMA
]


class NewArticle(InputModel):
    title: Title
    description: Description
    body: Body
    tag_list: TagList = Field(default_factory=list)


class ArticleUpdate(InputModel):
    """Only the fields given change. ``tagList``, an extension of the spec, replaces the tags."""

    title: Title | None = Field(default=None, json_schema_extra=not_nullable)
    description: Description | None = Field(default=None, json_schema_extra=not_nullable)
    body: Body | None = Field(default=None, json_schema_extra=not_nullable)
    tag_list: TagList | None = Field(default=None, json_schema_extra=not_nullable)

    @field_validator("title", "description", "body", "tag_list", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("can't be blank")
        return value


class NewComment(InputModel):
    body: CommentBody


class NewArticleRequest(BaseModel):
    article: NewArticle


class ArticleUpdateRequest(BaseModel):
    article: ArticleUpdate


class NewCommentRequest(BaseModel):
    comment: NewComment


class ListQuery(BaseModel):
    """Paging shared by every list; unknown query parameters are refused (422)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=LIMIT_DEFAULT, ge=1, le=LIMIT_MAX)
    offset: int = Field(default=0, ge=0, le=OFFSET_MAX)


QueryText = Annotated[str, StringConstraints(min_length=1, max_length=100)]


SEARCH_MAX = 200
SEARCH_DESCRIPTION = (
    "Full-text search (an extension of the spec) in the title, tags, description and body. "
    "Words match in any grammatical form (`dragons` finds `dragon`) and must all appear; "
    '`"quoted words"` must appear together, `-word` must not appear, and `or` separates '
    "alternatives; other punctuation is ignored. Results come best match first (a match in the "
    "title or tags counts most, in the body least), then newest first; `articlesCount` counts "
    "every match. Combines with `tag`, `author`, `favorited`, `limit` and `offset`. An empty or "
    "blank value is no search; a value without any letter or digit matches nothing."
)


class ArticleListQuery(ListQuery):
    tag: QueryText | None = None
    author: QueryText | None = None
    favorited: QueryText | None = None
    search: Annotated[str, StringConstraints(max_length=SEARCH_MAX)] | None = Field(
        default=None, description=SEARCH_DESCRIPTION
    )


class ArticleSummaryOut(ApiModel):
    slug: str
    title: str
    description: str
    tag_list: list[str]
    created_at: Timestamp
    updated_at: Timestamp
    favorited: bool
    favorites_count: int
    author: ProfileOut


class ArticleOut(ArticleSummaryOut):
    body: str


class ArticleResponse(BaseModel):
    article: ArticleOut


class ArticleListResponse(ApiModel):
    articles: list[ArticleSummaryOut]
    articles_count: int


class CommentOut(ApiModel):
    id: int
    created_at: Timestamp
    updated_at: Timestamp
    body: str
    author: ProfileOut


class CommentResponse(BaseModel):
    comment: CommentOut


class CommentListResponse(BaseModel):
    comments: list[CommentOut]


class TagListResponse(BaseModel):
    tags: list[str]
