"""The account's lifecycle: the data export, and the password that confirms deleting the account."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from app.schemas.base import ApiModel, InputModel, Timestamp
from app.schemas.users import PASSWORD_MAX


class AccountDeletion(InputModel):
    """The account's current password, to confirm that its owner is the one deleting it."""

    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class AccountDeletionRequest(BaseModel):
    user: AccountDeletion


class ExportedProfileOut(ApiModel):
    username: str
    email: str
    bio: str | None
    image: str | None
    created_at: Timestamp
    updated_at: Timestamp


class ExportedArticleOut(ApiModel):
    slug: str
    title: str
    description: str
    body: str
    tag_list: list[str]
    favorites_count: int
    created_at: Timestamp
    updated_at: Timestamp


class ExportedCommentOut(ApiModel):
    id: int
    article: str
    body: str
    created_at: Timestamp
    updated_at: Timestamp


class ExportedFavoriteOut(ApiModel):
    slug: str
    favorited_at: Timestamp


class ExportedFollowOut(ApiModel):
    username: str
    followed_at: Timestamp


class AccountExportResponse(ApiModel):
    """Everything the user put in, oldest first: ``articles`` (with ``tagList``), ``comments`` (with
    the ``article`` slug they are on), ``favorites`` (slugs), ``following`` and ``followers``
    (usernames). No password hash, no token, nothing other users wrote."""

    exported_at: Timestamp
    profile: ExportedProfileOut
    articles: list[ExportedArticleOut]
    comments: list[ExportedCommentOut]
    favorites: list[ExportedFavoriteOut]
    following: list[ExportedFollowOut]
    followers: list[ExportedFollowOut]
