"""A mixed workload against a live server, as people use Conduit: list pages, the feed, an article,
its comments, tags and profiles; publishing with tags, commenting, favoriting and unfavoriting,
following and unfollowing. Every request's outcome is recorded, and every write answered with 2xx
is remembered, so the database can be checked against what the clients were told.

Each concurrent worker acts as one user and waits for each answer before its next request, so a
user's toggles (favorite, follow) never race each other and the last acknowledged one is the state
the database must hold, unless a later toggle of the same pair failed (a failed write may or may
not have committed, so that pair's state is unknown).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import PASSWORD, auth, unique_name

TAGS = [f"soak-{name}" for name in ("python", "sql", "async", "http", "tests", "ops", "web", "data")]
# Kind of request → (weight, the status that means success).
KINDS: dict[str, tuple[int, int]] = {
    "list": (18, 200),
    "list by tag": (8, 200),
    "feed": (8, 200),
    "article": (14, 200),
    "comments": (8, 200),
    "tags": (5, 200),
    "profile": (4, 200),
    "publish": (6, 201),
    "comment": (10, 200),
    "favorite": (7, 200),
    "unfavorite": (5, 200),
    "follow": (4, 200),
    "unfollow": (3, 200),
}
WRITES = frozenset({"publish", "comment", "favorite", "unfavorite", "follow", "unfollow"})
# A client that was answered 503 waits a little before its next request (the server says
# Retry-After: 1; a real client would wait longer, this one wants to see the recovery).
BACK_OFF_SECONDS = 0.05


@dataclass(frozen=True)
class Outcome:
    """One request: what it was, when it ran (``time.monotonic()``), and what came back."""

    kind: str
    started: float
    ended: float
    status: int | None = None  # None: no HTTP answer at all
    body: Any = None
    transport_error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == KINDS[self.kind][1]


@dataclass
class Acknowledged:
    """Writes the server answered with 2xx: each must be in the database afterwards."""

    articles: dict[str, list[str]] = field(default_factory=dict)  # slug → tags sent
    comments: dict[int, str] = field(default_factory=dict)  # comment id → article slug
    favorites: dict[tuple[str, str], bool] = field(default_factory=dict)  # (username, slug) → favorited
    follows: dict[tuple[str, str], bool] = field(default_factory=dict)  # (follower, followee) → following
    # Pairs with a failed toggle: it may or may not have committed (even later), so their state is unknown.
    uncertain: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class User:
    username: str
    token: str


class Workload:
    """``concurrency`` users, each with one article, then each a worker sending mixed requests."""

    def __init__(self, client: httpx.AsyncClient, *, concurrency: int, seed: int = 1) -> None:
        self.client = client
        self.concurrency = concurrency
        self.random = random.Random(seed)
        self.users: list[User] = []
        self.slugs: list[str] = []
        self.outcomes: list[Outcome] = []
        self.acknowledged = Acknowledged()

    async def prepare(self) -> None:
        """Registers the users and publishes one article each (all must succeed)."""
        self.users = list(await asyncio.gather(*(self._register() for _ in range(self.concurrency))))
        for user in self.users:
            outcome = await self._publish(user)
            assert outcome.succeeded, outcome

    async def run(self, *, until: Callable[[], bool]) -> None:
        """Every user sends requests one after the other until ``until()`` is true."""
        await asyncio.gather(*(self._worker(user, until) for user in self.users))

    # --- reporting ---------------------------------------------------------------------------------

    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.succeeded]

    def counts(self) -> Counter[str]:
        return Counter(outcome.kind for outcome in self.outcomes)

    def statuses(self) -> Counter[str]:
        return Counter(str(outcome.status or outcome.transport_error) for outcome in self.outcomes)

    # --- the requests ------------------------------------------------------------------------------

    async def _register(self) -> User:
        username = unique_name("loaduser")
        response = await self.client.post(
            "/api/users",
            json={"user": {"username": username, "email": f"{username}@example.com", "password": PASSWORD}},
        )
        assert response.status_code == 201, response.text
        return User(username=username, token=response.json()["user"]["token"])

    async def _worker(self, user: User, until: Callable[[], bool]) -> None:
        kinds, weights = list(KINDS), [weight for weight, _status in KINDS.values()]
        while not until():
            kind = self.random.choices(kinds, weights)[0]
            outcome = await self._send(user, kind)
            self.outcomes.append(outcome)
            if outcome.status == 503:
                await asyncio.sleep(BACK_OFF_SECONDS)

    async def _send(self, user: User, kind: str) -> Outcome:
        if kind == "publish":
            return await self._publish(user)
        slug = self.random.choice(self.slugs)
        other = self.random.choice([u for u in self.users if u is not user])
        headers = auth(user.token)
        match kind:
            case "list":
                offset = self.random.choice((0, 0, 20))
                return await self._request(kind, "GET", f"/api/articles?limit=20&offset={offset}", headers)
            case "list by tag":
                return await self._request(
                    kind, "GET", f"/api/articles?tag={self.random.choice(TAGS)}", headers
                )
            case "feed":
                return await self._request(kind, "GET", "/api/articles/feed", headers)
            case "article":
                return await self._request(kind, "GET", f"/api/articles/{slug}", headers)
            case "comments":
                return await self._request(kind, "GET", f"/api/articles/{slug}/comments", headers)
            case "tags":
                return await self._request(kind, "GET", "/api/tags", {})
            case "profile":
                return await self._request(kind, "GET", f"/api/profiles/{other.username}", headers)
            case "comment":
                body = {"comment": {"body": f"a comment by {user.username}"}}
                outcome = await self._request(kind, "POST", f"/api/articles/{slug}/comments", headers, body)
                if outcome.succeeded:
                    self.acknowledged.comments[outcome.body["comment"]["id"]] = slug
                return outcome
            case "favorite" | "unfavorite":
                method = "POST" if kind == "favorite" else "DELETE"
                outcome = await self._request(kind, method, f"/api/articles/{slug}/favorite", headers)
                self._toggled(self.acknowledged.favorites, (user.username, slug), kind == "favorite", outcome)
                return outcome
            case "follow" | "unfollow":
                method = "POST" if kind == "follow" else "DELETE"
                path = f"/api/profiles/{other.username}/follow"
                outcome = await self._request(kind, method, path, headers)
                self._toggled(
                    self.acknowledged.follows, (user.username, other.username), kind == "follow", outcome
                )
                return outcome
        raise AssertionError(f"unknown kind {kind}")

    async def _publish(self, user: User) -> Outcome:
        tags = self.random.sample(TAGS, self.random.randint(1, 3))
        article = {
            "title": f"Notes {unique_name('n')}",
            "description": "load",
            "body": "text",
            "tagList": tags,
        }
        outcome = await self._request(
            "publish", "POST", "/api/articles", auth(user.token), {"article": article}
        )
        if outcome.succeeded:
            slug = outcome.body["article"]["slug"]
            self.acknowledged.articles[slug] = tags
            self.slugs.append(slug)
        return outcome

    def _toggled(
        self, states: dict[tuple[str, str], bool], pair: tuple[str, str], on: bool, outcome: Outcome
    ) -> None:
        if not outcome.succeeded:
            self.acknowledged.uncertain.add(pair)
        if pair in self.acknowledged.uncertain:
            states.pop(pair, None)
        else:
            states[pair] = on

    async def _request(
        self, kind: str, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> Outcome:
        started = time.monotonic()
        try:
            response = await self.client.request(method, path, headers=headers, json=body)
        except httpx.TransportError as error:
            return Outcome(kind, started, time.monotonic(), transport_error=type(error).__name__)
        ended = time.monotonic()
        try:
            content = response.json()
        except ValueError:
            content = response.text
        return Outcome(kind, started, ended, status=response.status_code, body=content)
