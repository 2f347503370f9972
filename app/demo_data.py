"""Demo content for a fresh installation, created through the services so every rule holds."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass

from app import domain
from app.exceptions import InvalidInput
from app.schemas.articles import NewArticle, NewComment
from app.schemas.users import LoginCredentials, NewUser, UserUpdate
from app.security.tokens import TokenClaims
from app.services import articles, comments, profiles, users
from app.services.context import AppContext

DEMO_PASSWORD = "conduit-demo"  # noqa: S105 - published on purpose: demo accounts only
# A staff account with the same published password, so that /admin can be tried at once. Demo data
# is for development only: ``conduit seed`` refuses staging and production.
DEMO_STAFF_USERNAME = "admin"
DEMO_STAFF_EMAIL = f"{DEMO_STAFF_USERNAME}@example.com"
AUTHORS = [
    ("alice", "Writes about distributed systems and good coffee."),
    ("bob", "Frontend engineer. Accessibility first."),
    ("carol", "Databases, indexes, and the queries that love them."),
    ("dave", "Ops person. Pager on, always."),
    ("erin", "Product designer who codes."),
]
TOPICS = ["python", "fastapi", "postgresql", "sqlite", "design", "testing", "devops", "htmx", "performance"]
TITLES = [
    "Why {t} keeps surprising me",
    "A practical guide to {t}",
    "Ten lessons from a year of {t}",
    "What nobody tells you about {t}",
    "{T} in production: notes from the trenches",
    "Getting started with {t}",
]
PARAGRAPHS = [
    "Start small, measure, and only then optimise. Most of the time the database is not the problem; "
    "the number of round trips to it is.",
    "Write the test first when the behaviour is subtle. It documents the intent better than any comment.",
    "Every layer should have one job. When a module grows a second one, it is time to split it.",
    "Good defaults matter more than options. The best configuration is the one nobody had to write.",
]
COMMENTS = [
    "Great read, thanks!",
    "I disagree with the second point, but well argued.",
    "Bookmarked.",
    "Could you write a follow-up on this?",
    "This matched my experience exactly.",
]


@dataclass(frozen=True)
class SeedReport:
    users: int
    articles: int
    created: bool
    staff_created: bool = False


def _claims(ctx: AppContext, token: str) -> TokenClaims:
    return ctx.tokens.decode(token)


# The sessions seeding signs in with (each demo user sees one in their list of sessions).
SEEDING = domain.SignInClient(user_agent="conduit seed", address="")


async def seed(
    ctx: AppContext, *, articles_per_user: int = 4, progress: Callable[[int], None] | None = None
) -> SeedReport:
    """Creates demo users (password ``conduit-demo``), articles, tags, comments, favorites and follows,
    and the demo staff account.

    Idempotent: what exists already (the demo users, the staff account) is not written again.
    """
    report = await _seed_content(ctx, articles_per_user=articles_per_user, progress=progress)
    return dataclasses.replace(report, staff_created=await _seed_staff(ctx))


async def _seed_staff(ctx: AppContext) -> bool:
    """The demo staff account, made like ``conduit create-admin`` makes one; ``False`` if its username
    or email is taken (by it, from an earlier seed)."""
    staff = NewUser(username=DEMO_STAFF_USERNAME, email=DEMO_STAFF_EMAIL, password=DEMO_PASSWORD)
    try:
        await users.register(ctx, staff, SEEDING, staff=True)
    except InvalidInput:
        return False
    return True


async def _seed_content(
    ctx: AppContext, *, articles_per_user: int, progress: Callable[[int], None] | None
) -> SeedReport:
    rng = random.Random(42)  # noqa: S311 - deterministic demo data, not security
    advance = progress or (lambda _steps: None)
    accounts = []
    for name, bio in AUTHORS:
        try:
            account = await users.register(
                ctx, NewUser(username=name, email=f"{name}@example.com", password=DEMO_PASSWORD), SEEDING
            )
        except InvalidInput:
            return SeedReport(users=0, articles=0, created=False)
        await users.update(ctx, _claims(ctx, account.token), UserUpdate(bio=bio))
        accounts.append(_claims(ctx, account.token))
        advance(1)
    created = 0
    for claims in accounts:
        for _ in range(articles_per_user):
            topic = rng.choice(TOPICS)
            title = rng.choice(TITLES).format(t=topic, T=topic.capitalize())
            body = "\n\n".join(rng.sample(PARAGRAPHS, k=3))
            tags = [topic, *rng.sample(TOPICS, k=rng.randint(0, 2))]
            article = await articles.create(
                ctx,
                claims,
                NewArticle(title=title, description=f"Notes on {topic}.", body=body, tag_list=tags),
            )
            created += 1
            for reader in rng.sample(accounts, k=rng.randint(0, 3)):
                if reader != claims:
                    await comments.add(ctx, reader, article.slug, NewComment(body=rng.choice(COMMENTS)))
                    await articles.favorite(ctx, reader, article.slug)
            advance(1)
    for claims in accounts:
        for name, _bio in rng.sample(AUTHORS, k=2):
            followed = await profiles.get(ctx, None, name)
            me = await users.get_current(ctx, claims)
            if followed.username != me.username:
                await profiles.follow(ctx, claims, name)
    return SeedReport(users=len(accounts), articles=created, created=True)


async def demo_login(ctx: AppContext) -> str:
    """A token for the first demo user (handy for trying the API)."""
    account = await users.login(
        ctx, LoginCredentials(email=f"{AUTHORS[0][0]}@example.com", password=DEMO_PASSWORD), SEEDING
    )
    return account.token
