"""Read models the services return: plain frozen data, independent of the ORM and of HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Profile:
    username: str
    bio: str | None
    image: str | None
    following: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    """The signed-in user's own view of themselves, with a fresh access token."""

    id: int
    email: str
    username: str
    bio: str | None
    image: str | None
    token: str


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """An article as lists show it (no body)."""

    id: int
    slug: str
    title: str
    description: str
    created_at: datetime
    updated_at: datetime
    favorited: bool
    favorites_count: int
    author: Profile
    tag_list: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Article(ArticleSummary):
    body: str = ""


@dataclass(frozen=True, slots=True)
class ArticlePage:
    articles: list[ArticleSummary]
    articles_count: int


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    body: str
    created_at: datetime
    updated_at: datetime
    author: Profile


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A signed-in staff user, as the admin console knows them."""

    id: int
    username: str


@dataclass(frozen=True, slots=True)
class StaffGrant:
    """What ``conduit create-admin`` did to an existing account."""

    username: str
    already_staff: bool
    is_active: bool
