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
    FOLLOWS_CHANGED = "profile.follows"


def new_event_id() -> str:
    """Unique and roughly time-ordered: nanoseconds since the epoch (hex) and a random suffix."""
    return f"{time.time_ns():x}-{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, as the public may see it. ``author_id`` and ``user_id`` are used to
    filter streams (feeds, one's own follows) and are not sent to clients."""

    type: EventType
    slug: str | None = None
    comment_id: int | None = None
    favorites_count: int | None = None
    author: str | None = None
    author_id: int | None = None
    user_id: int | None = None
    id: str = field(default_factory=new_event_id)

    def to_json(self) -> str:
        """The wire form between processes (NOTIFY payload): well under PostgreSQL's 8,000 bytes."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, payload: str) -> Event:
        data: dict[str, Any] = json.loads(payload)
        return cls(**{**data, "type": EventType(data["type"])})

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
