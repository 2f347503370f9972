"""How big each benchmark data set is, and the fixed roles some of its rows play."""

from __future__ import annotations

from dataclasses import dataclass

# Changing the data a scale generates means bumping this: kept databases are then re-seeded.
DATASET_VERSION = 1
RANDOM_SEED = 20261126

# Fixed roles (user ids): the signed-in reader follows FEED_FOLLOWS of the most prolific authors;
# the writer posts the benchmark's comments and favorites and is otherwise untouched, so its
# writes can be undone after a run. The most prolific author (also the busiest favoriter) is
# PROLIFIC_USER; authors and favoriters are skewed towards low ids.
READER_USER = 1
WRITER_USER = 2
# The session each of them is signed in with: the tokens the benchmark issues name these.
BENCH_SESSIONS = {READER_USER: "bench-reader", WRITER_USER: "bench-writer"}
PROLIFIC_USER = 3
FEED_FOLLOWS = 50
BUSY_ARTICLE_COMMENTS = 100


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    users: int
    articles: int
    favorites: int
    comments: int
    follows: int
    tags: int = 500

    @property
    def busy_comments(self) -> int:
        return min(BUSY_ARTICLE_COMMENTS, self.comments)

    @property
    def feed_follows(self) -> int:
        return min(FEED_FOLLOWS, self.users - PROLIFIC_USER + 1)


SCALES = {
    scale.name: scale
    for scale in (
        # For the harness's own test: seconds to seed.
        Scale("tiny", users=60, articles=300, favorites=600, comments=400, follows=200, tags=20),
        Scale("small", users=1_000, articles=10_000, favorites=50_000, comments=30_000, follows=10_000),
        Scale("medium", users=10_000, articles=100_000, favorites=500_000, comments=300_000, follows=100_000),
        # Tags stay at 500: a vocabulary does not grow with the number of articles.
        Scale(
            "large",
            users=100_000,
            articles=1_000_000,
            favorites=5_000_000,
            comments=3_000_000,
            follows=1_000_000,
        ),
    )
}
