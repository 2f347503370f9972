"""The events themselves: small, carrying ids and counts, never whole rows."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    COMMENT_CREATED = "comment.created"
    COMMENT_DELETED = "comment.deleted"
    FAVORITES_CHANGED = "article.favorites"
    ARTICLE_PUBLISHED = "article.published"
    ARTICLE_DELETED = "article.deleted"  # deleted, or hidden by staff: gone for its readers
    FOLLOWS_CHANGED = "profile.follows"


class Audience(StrEnum):
    """Whose streams may receive an event about an article, decided by the writer from the article's
    visibility in its own transaction (see ``services.article_events``)."""

    PUBLIC = "public"  # everyone who may see the stream's subject
    AUTHOR = "author"  # only the article's author: it is hidden, so no one else may read it
    OTHERS = "others"  # everyone but its author: the article was just hidden from them


def new_event_id() -> str:
    """Unique and roughly time-ordered: nanoseconds since the epoch (hex) and a random suffix."""
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, and who may hear of it. ``article_id``, ``author_id`` (the
    article's author), ``user_id`` and ``audience`` are used to filter streams (feeds, one's own
    follows, hidden articles) and are not sent to clients."""

    type: EventType
    slug: str | None = None
    comment_id: int | None = None
    favorites_count: int | None = None
    author: str | None = None
    author_id: int | None = None
    article_id: int | None = None  # slugs change (a rename) and are reused (after a deletion)
    user_id: int | None = None
    audience: Audience = Audience.PUBLIC
    id: str = field(default_factory=new_event_id)

    def to_json(self) -> str:
        """The wire form between processes (NOTIFY payload): well under PostgreSQL's 8,000 bytes."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, payload: str) -> Event:
        data: dict[str, Any] = json.loads(payload)
        audience = Audience(data.get("audience", Audience.PUBLIC))
        return cls(**{**data, "type": EventType(data["type"]), "audience": audience})

    def reaches(self, viewer_id: int | None) -> bool:
        """Whether a stream of ``viewer_id`` (``None``: anonymous) may receive this event at all."""
        if self.audience is Audience.AUTHOR:
            return viewer_id is not None and viewer_id == self.author_id
        if self.audience is Audience.OTHERS:
            return viewer_id is None or viewer_id != self.author_id
        return True

    def public(self) -> dict[str, Any]:
        """What a client receives: the type, the ids and counts, no internal ids."""
        fields = {
            "type": self.type.value,
            "slug": self.slug,
            "commentId": self.comment_id,
            "favoritesCount": self.favorites_count,
            "author": self.author,
        }
        return {key: value for key, value in fields.items() if value is not None}
