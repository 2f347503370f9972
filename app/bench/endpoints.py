"""What the benchmark measures: one :class:`Endpoint` per row of the table.

Each endpoint is a cycle of requests (method, path, body) that wrk sends round-robin over its
connections, as the reader (signed-in reads), the writer (writes) or anonymously.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from app.bench.dataset import slug, tag_name, username
from app.bench.scales import PROLIFIC_USER, Scale

WRITE_TARGETS = 500  # articles the writes are spread over (never the busy one)


class Caller(StrEnum):
    ANONYMOUS = "anonymous"
    READER = "reader"
    WRITER = "writer"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: str = ""


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    caller: Caller
    requests: tuple[Request, ...]

    @property
    def writes(self) -> bool:
        return self.caller is Caller.WRITER


def _get(path: str) -> tuple[Request, ...]:
    return (Request("GET", path),)


def _write_targets(scale: Scale) -> list[str]:
    last = scale.articles - 1  # the busy (newest) article is left alone
    step = max(1, last // WRITE_TARGETS)
    return [slug(article_id) for article_id in range(1, last + 1, step)][:WRITE_TARGETS]


def endpoints(scale: Scale) -> list[Endpoint]:
    busy = slug(scale.articles)
    author = username(PROLIFIC_USER)
    comment = json.dumps({"comment": {"body": "Measured, not guessed."}})
    targets = _write_targets(scale)
    return [
        Endpoint("list", Caller.ANONYMOUS, _get("/api/articles")),
        Endpoint("list signed in", Caller.READER, _get("/api/articles")),
        Endpoint("list by tag", Caller.ANONYMOUS, _get(f"/api/articles?tag={tag_name(1)}")),
        Endpoint("list by author", Caller.ANONYMOUS, _get(f"/api/articles?author={author}")),
        Endpoint("list favorited by", Caller.ANONYMOUS, _get(f"/api/articles?favorited={author}")),
        Endpoint("feed", Caller.READER, _get("/api/articles/feed")),
        Endpoint("article", Caller.ANONYMOUS, _get(f"/api/articles/{busy}")),
        Endpoint("comments", Caller.ANONYMOUS, _get(f"/api/articles/{busy}/comments")),
        Endpoint("tags", Caller.ANONYMOUS, _get("/api/tags")),
        Endpoint(
            "post comment",
            Caller.WRITER,
            tuple(Request("POST", f"/api/articles/{target}/comments", comment) for target in targets),
        ),
        Endpoint(
            "favorite/unfavorite",
            Caller.WRITER,
            tuple(
                request
                for target in targets
                for request in (
                    Request("POST", f"/api/articles/{target}/favorite"),
                    Request("DELETE", f"/api/articles/{target}/favorite"),
                )
            ),
        ),
    ]


def select(all_endpoints: list[Endpoint], names: list[str] | None) -> list[Endpoint]:
    """The endpoints named (in the table's order); all of them when ``names`` is empty."""
    if not names:
        return all_endpoints
    known = {endpoint.name for endpoint in all_endpoints}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown endpoints {unknown}; choose from {sorted(known)}")
    return [endpoint for endpoint in all_endpoints if endpoint.name in names]
