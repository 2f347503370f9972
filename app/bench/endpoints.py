"""What the benchmark measures: one :class:`Endpoint` per row of the table.

Each endpoint is a cycle of requests (method, path, body) that wrk sends round-robin over its
connections, as the reader (signed-in reads), the writer (writes), anonymously, or, for the
contention scenarios, as many distinct writers: request by request as ``Request.writer`` says (an
index into ``WRITERS`` users made for the run, see ``app.bench.writers``). ``UNIQUE`` in a path or
body is replaced by wrk with a value no other request of the run has (new titles, new accounts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from app.bench.dataset import slug, tag_name, username
from app.bench.scales import PROLIFIC_USER, Scale

WRITE_TARGETS = 500  # articles the writes are spread over (never the busy one)
WRITERS = 64  # distinct signed-in users of the contention scenarios
UNIQUE = "@UNIQUE@"  # replaced per request by wrk (app/bench/wrk.lua)
BENCH_USER_PREFIX = "bench-"  # every account a run makes (erased afterwards: app.bench.writers)
SHARED_TAG = "benchtag"


class Caller(StrEnum):
    ANONYMOUS = "anonymous"
    READER = "reader"
    WRITER = "writer"
    WRITERS = "writers"  # one of WRITERS users, per request


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: str = ""
    writer: int | None = None  # which of the run's writers sends it (Caller.WRITERS)


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    caller: Caller
    requests: tuple[Request, ...]

    @property
    def writes(self) -> bool:
        return any(request.method != "GET" for request in self.requests)


def _get(path: str) -> tuple[Request, ...]:
    return (Request("GET", path),)


def write_target_ids(scale: Scale) -> list[int]:
    last = scale.articles - 1  # the busy (newest) article is left alone
    step = max(1, last // WRITE_TARGETS)
    return list(range(1, last + 1, step))[:WRITE_TARGETS]


def _write_targets(scale: Scale) -> list[str]:
    return [slug(article_id) for article_id in write_target_ids(scale)]


def _by_each_writer(
    method: str, path_of: Callable[[int], str], body_of: Callable[[int], str] | None = None
) -> tuple[Request, ...]:
    return tuple(
        Request(method, path_of(writer), body_of(writer) if body_of else "", writer=writer)
        for writer in range(WRITERS)
    )


def _favorite_and_back(target_of: Callable[[int], str]) -> tuple[Request, ...]:
    """Every writer favorites, then every writer unfavorites (so one writer's two requests are a
    whole round apart: never in flight together)."""
    return tuple(
        request
        for method in ("POST", "DELETE")
        for request in _by_each_writer(method, lambda writer: f"/api/articles/{target_of(writer)}/favorite")
    )


def _new_article(tag: str) -> str:
    article = {
        "title": f"Bench {UNIQUE}",
        "description": "Measured, not guessed.",
        "body": "Contention.",
        "tagList": [tag],
    }
    return json.dumps({"article": article})


def _new_account() -> str:
    name = f"{BENCH_USER_PREFIX}r{UNIQUE}"
    return json.dumps(
        {"user": {"username": name, "email": f"{name}@bench.example", "password": "bench password"}}
    )


def write_scenarios(scale: Scale) -> list[Endpoint]:
    """Contention: many users writing at once, on one row (hot) or each on their own (spread)."""
    targets = _write_targets(scale)
    hot = targets[0]
    return [
        Endpoint("favorite hot", Caller.WRITERS, _favorite_and_back(lambda _writer: hot)),
        Endpoint("favorite spread", Caller.WRITERS, _favorite_and_back(lambda writer: targets[1 + writer])),
        Endpoint(
            "create same tag",
            Caller.WRITERS,
            _by_each_writer(
                "POST", lambda _writer: "/api/articles", lambda _writer: _new_article(SHARED_TAG)
            ),
        ),
        Endpoint(
            "create distinct tags",
            Caller.WRITERS,
            _by_each_writer(
                "POST", lambda _writer: "/api/articles", lambda writer: _new_article(f"{SHARED_TAG}{writer}")
            ),
        ),
        Endpoint("register", Caller.ANONYMOUS, (Request("POST", "/api/users", _new_account()),)),
    ]


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
        *write_scenarios(scale),
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
