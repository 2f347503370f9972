"""The benchmark's rows, generated deterministically (a fixed random seed per table).

Each table is a :class:`TableRows`: its columns and a generator of tuples, in foreign-key order.
Denormalised counters (``articles.favorites_count``, ``tags.articles_count``, per-user counts) are
computed from the generated rows, so they are exactly what the API would have maintained. Columns
that the database does not have (an older schema) are dropped by the writer, not here.

Popularity is skewed (Zipf-like weights ``1 / rank**s``): a few authors write most articles, a few
tags label most of them, a few users favorite and follow a lot.
"""

from __future__ import annotations

import functools
import itertools
import random
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.bench.scales import BENCH_SESSIONS, PROLIFIC_USER, RANDOM_SEED, READER_USER, Scale
from app.markdown import render_markdown

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
NOT_A_PASSWORD_HASH = "!bench"  # noqa: S105 - no password verifies against it; tokens are minted
IMAGE = "https://api.realworld.io/images/smiley-cyrus.jpeg"
WORDS = [
    *("async", "python", "database", "index", "query", "cache", "latency", "throughput", "worker"),
    *("event", "loop", "schema", "migration", "replica", "shard", "vacuum", "planner", "tuple"),
    *("buffer", "socket", "kernel", "thread", "process", "memory", "profile", "trace"),
]


@dataclass(frozen=True, slots=True)
class TableRows:
    table: str
    columns: tuple[str, ...]
    count: int
    rows: Callable[[], Iterator[tuple[object, ...]]]


def username(user_id: int) -> str:
    return f"user{user_id}"


def slug(article_id: int) -> str:
    return f"{WORDS[article_id % len(WORDS)]}-{WORDS[article_id * 7 % len(WORDS)]}-{article_id}"


def tag_name(rank: int) -> str:
    return f"{WORDS[rank % len(WORDS)]}{rank}"


def _rng(table: str) -> random.Random:
    return random.Random(f"{RANDOM_SEED}:{table}")  # noqa: S311 - reproducible data, not secrets


def _zipf_weights(count: int, exponent: float) -> list[float]:
    return [1 / rank**exponent for rank in range(1, count + 1)]


def _shares(total: int, weights: list[float], cap: int) -> list[int]:
    """``total`` split in proportion to ``weights``, each share at most ``cap``."""
    scale = total / sum(weights)
    return [min(cap, round(weight * scale)) for weight in weights]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize()


class Dataset:
    """Every row of one scale; relationships are drawn once, in memory, then streamed out."""

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self._step = SPAN / scale.articles
        self._authors = self._draw_authors()
        self._article_tags = self._draw_article_tags()
        self._favorites = self._draw_favorites()
        self._follows = self._draw_follows()

    # --- relationships ----------------------------------------------------------------------

    def _ordinary_users(self) -> range:
        """Users that write, favorite and comment at random (not the reader or the writer)."""
        return range(PROLIFIC_USER, self.scale.users + 1)

    def _draw_authors(self) -> array[int]:
        users = self._ordinary_users()
        chosen = _rng("authors").choices(users, weights=_zipf_weights(len(users), 1.0), k=self.scale.articles)
        return array("q", [0, *chosen])  # index = article id

    def _draw_article_tags(self) -> list[tuple[int, int]]:
        rng, tags = _rng("article_tags"), range(1, self.scale.tags + 1)
        cumulative = list(itertools.accumulate(_zipf_weights(len(tags), 1.1)))
        pairs: list[tuple[int, int]] = []
        for article_id in range(1, self.scale.articles + 1):
            wanted = rng.choice((0, 1, 2, 3, 3, 4, 5))
            chosen = set(rng.choices(tags, cum_weights=cumulative, k=wanted))
            pairs.extend((article_id, tag_id) for tag_id in sorted(chosen))
        return pairs

    def _draw_favorites(self) -> tuple[array[int], array[int]]:
        rng, users = _rng("favorites"), self._ordinary_users()
        shares = _shares(self.scale.favorites, _zipf_weights(len(users), 0.9), cap=self.scale.articles)
        user_ids, article_ids = array("q"), array("q")
        for user_id, share in zip(users, shares, strict=True):
            picked = rng.sample(range(1, self.scale.articles + 1), share)
            user_ids.extend([user_id] * share)
            article_ids.extend(picked)
        return user_ids, article_ids

    def _draw_follows(self) -> list[tuple[int, int]]:
        rng, users = _rng("follows"), self._ordinary_users()
        feed = self.scale.feed_follows
        pairs = [(READER_USER, followee) for followee in range(PROLIFIC_USER, PROLIFIC_USER + feed)]
        shares = _shares(self.scale.follows - feed, _zipf_weights(len(users), 0.9), cap=len(users) - 1)
        for user_id, share in zip(users, shares, strict=True):
            followees = rng.sample(users, min(share + 1, len(users)))
            pairs.extend((user_id, followee) for followee in followees if followee != user_id)
        return pairs

    # --- helpers ----------------------------------------------------------------------------

    def created_at(self, article_id: int) -> datetime:
        return EPOCH + self._step * article_id

    @property
    def busy_article(self) -> int:
        """The newest article: on the front page, with the most comments."""
        return self.scale.articles

    def _counts(self, values: array[int] | list[int], size: int) -> array[int]:
        counts = array("q", bytes(8 * (size + 1)))
        for value in values:
            counts[value] += 1
        return counts

    # --- tables -----------------------------------------------------------------------------

    def tables(self) -> list[TableRows]:
        return [
            self._users(),
            self._tags(),
            self._articles(),
            self._article_tags_rows(),
            self._favorites_rows(),
            self._follows_rows(),
            self._comments(),
            self._counters(),
            self._sessions(),
        ]

    def _sessions(self) -> TableRows:
        """The sessions the benchmark's tokens name (``scales.BENCH_SESSIONS``)."""

        def rows() -> Iterator[tuple[object, ...]]:
            for user_id, session_id in BENCH_SESSIONS.items():
                yield (session_id, user_id, EPOCH, EPOCH, "conduit bench", "127.0.0.1")

        columns = ("id", "user_id", "created_at", "last_used_at", "user_agent", "client_address")
        return TableRows("sessions", columns, len(BENCH_SESSIONS), rows)

    def _users(self) -> TableRows:
        scale = self.scale
        articles = self._counts(self._authors[1:], scale.users)
        favorites = self._counts(self._favorites[0], scale.users)

        def rows() -> Iterator[tuple[object, ...]]:
            rng = _rng("users")
            for user_id in range(1, scale.users + 1):
                bio = _sentence(rng, 8) if rng.random() < 0.5 else None
                image = IMAGE if rng.random() < 0.3 else None
                joined = EPOCH - timedelta(days=30) + timedelta(seconds=user_id)
                yield (
                    *(user_id, username(user_id), f"{username(user_id)}@bench.example", NOT_A_PASSWORD_HASH),
                    *(bio, image, joined, joined, articles[user_id], favorites[user_id]),
                )

        columns = (
            "id, username, email, password_hash, bio, image, created_at, updated_at, "
            "articles_count, favorites_count"
        )
        return TableRows("users", tuple(columns.split(", ")), scale.users, rows)

    def _tags(self) -> TableRows:
        counts = self._counts([tag_id for _, tag_id in self._article_tags], self.scale.tags)

        def rows() -> Iterator[tuple[object, ...]]:
            for rank in range(1, self.scale.tags + 1):
                yield (rank, tag_name(rank), counts[rank])

        return TableRows("tags", ("id", "name", "articles_count"), self.scale.tags, rows)

    def _articles(self) -> TableRows:
        favorites = self._counts(self._favorites[1], self.scale.articles)
        # The HTML as the app stores it; 64 paragraphs make at most 4,096 bodies, each rendered once.
        rendered = functools.cache(render_markdown)

        def rows() -> Iterator[tuple[object, ...]]:
            rng = _rng("articles")
            paragraphs = [" ".join(_sentence(rng, 12) + "." for _ in range(8)) for _ in range(64)]
            for article_id in range(1, self.scale.articles + 1):
                title = f"{_sentence(rng, 5)} {article_id}"
                body = "\n\n".join(rng.choices(paragraphs, k=2))
                created = self.created_at(article_id)
                yield (
                    *(article_id, slug(article_id), title, _sentence(rng, 16), body, rendered(body)),
                    *(self._authors[article_id], favorites[article_id], created, created),
                )

        columns = ("id", "slug", "title", "description", "body", "body_html", "author_id", "favorites_count")
        return TableRows("articles", (*columns, "created_at", "updated_at"), self.scale.articles, rows)

    def _article_tags_rows(self) -> TableRows:
        def rows() -> Iterator[tuple[object, ...]]:
            for article_id, tag_id in self._article_tags:
                yield (article_id, tag_id, self.created_at(article_id))

        columns = ("article_id", "tag_id", "article_created_at")
        return TableRows("article_tags", columns, len(self._article_tags), rows)

    def _favorites_rows(self) -> TableRows:
        user_ids, article_ids = self._favorites

        def rows() -> Iterator[tuple[object, ...]]:
            for user_id, article_id in zip(user_ids, article_ids, strict=True):
                created = self.created_at(article_id)
                yield (user_id, article_id, created + timedelta(hours=1), created)

        columns = ("user_id", "article_id", "created_at", "article_created_at")
        return TableRows("favorites", columns, len(user_ids), rows)

    def _follows_rows(self) -> TableRows:
        def rows() -> Iterator[tuple[object, ...]]:
            for follower_id, followee_id in self._follows:
                yield (follower_id, followee_id, EPOCH)

        return TableRows("follows", ("follower_id", "followee_id", "created_at"), len(self._follows), rows)

    def _comments(self) -> TableRows:
        scale, busy = self.scale, self.busy_article
        users = self._ordinary_users()

        def rows() -> Iterator[tuple[object, ...]]:
            rng = _rng("comments")
            sentences = [_sentence(rng, 14) + "." for _ in range(256)]
            for comment_id in range(1, scale.comments + 1):
                # The first ones go to the busy article; the rest anywhere else.
                if comment_id <= scale.busy_comments:
                    article_id = busy
                else:
                    article_id = rng.randrange(1, max(2, scale.articles))
                created = self.created_at(article_id) + timedelta(seconds=comment_id)
                body = " ".join(rng.choices(sentences, k=2))
                yield (comment_id, article_id, rng.choice(users), body, created, created)

        columns = ("id", "article_id", "author_id", "body", "created_at", "updated_at")
        return TableRows("comments", columns, scale.comments, rows)

    def _counters(self) -> TableRows:
        def rows() -> Iterator[tuple[object, ...]]:
            yield ("articles", self.scale.articles)

        return TableRows("counters", ("name", "value"), 1, rows)
