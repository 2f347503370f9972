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
    # The body rendered to sanitised HTML when it was written (pages show it; the API does not).
    body_html: str = ""


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


# --- a user's own data, as the account export gives it ----------------------------------------


@dataclass(frozen=True, slots=True)
class ExportedProfile:
    username: str
    email: str
    bio: str | None
    image: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExportedArticle:
    slug: str
    title: str
    description: str
    body: str
    tag_list: list[str]
    favorites_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExportedComment:
    id: int
    article: str  # the slug of the article it is on
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ExportedFavorite:
    slug: str
    favorited_at: datetime


@dataclass(frozen=True, slots=True)
class ExportedFollow:
    username: str
    followed_at: datetime


@dataclass(frozen=True, slots=True)
class AccountExport:
    """Everything a user put into Conduit, oldest first; nothing that other users wrote."""

    exported_at: datetime
    profile: ExportedProfile
    articles: list[ExportedArticle]
    comments: list[ExportedComment]
    favorites: list[ExportedFavorite]
    following: list[ExportedFollow]
    followers: list[ExportedFollow]


@dataclass(frozen=True, slots=True)
class SignInClient:
    """Where a sign-in comes from, as recorded on its session: shown to the user, never trusted."""

    user_agent: str
    address: str


@dataclass(frozen=True, slots=True)
class SignInSession:
    """One of the user's sessions, as they see it in their list; ``current`` is the caller's own."""

    id: str
    created_at: datetime
    last_used_at: datetime
    user_agent: str
    client_address: str
    current: bool
