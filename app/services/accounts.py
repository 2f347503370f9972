"""The account's lifecycle: downloading all of one's data, and deleting the account with it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.models import User
from app.db.repositories import accounts, articles, comments, favorites, sessions, users
from app.db.types import utc_now
from app.exceptions import WrongPassword
from app.schemas.accounts import AccountDeletion
from app.security.tokens import TokenClaims
from app.services.context import AppContext
from app.services.identity import current_user

NOT_CONFIRMED = "is invalid"

# Wraps the password check of one account (given its email): the API and the pages pass the
# failed sign-in limit's ``attempt``, so a wrong password here spends the same budget as a failed
# sign-in (anyone holding a token could otherwise guess the password through this door).
PasswordGuard = Callable[[str], AbstractAsyncContextManager[None]]


def _unguarded(_email: str) -> AbstractAsyncContextManager[None]:
    return nullcontext()


async def export(ctx: AppContext, claims: TokenClaims) -> domain.AccountExport:
    """Everything the caller put in: profile, articles with tags, comments, favorites and follows,
    read from one snapshot. Nothing of other users beyond the slugs and usernames it refers to."""

    async def work(session: AsyncSession) -> domain.AccountExport:
        user = await current_user(session, claims)
        return domain.AccountExport(
            exported_at=utc_now(),
            profile=accounts.profile_of(user),
            articles=await accounts.articles_by(session, user.id),
            comments=await accounts.comments_by(session, user.id),
            favorites=await accounts.favorites_of(session, user.id),
            following=await accounts.followed_by(session, user.id),
            followers=await accounts.followers_of(session, user.id),
        )

    return await ctx.db.read(work, snapshot=True)


async def delete_account(
    ctx: AppContext,
    claims: TokenClaims,
    confirmation: AccountDeletion,
    *,
    guard: PasswordGuard = _unguarded,
) -> None:
    """Delete the caller's account and everything they wrote, once their password confirms it.

    Like login, the password is checked between two transactions, so no connection is held while
    argon2 works: the first reads the account, the second deletes it, after checking again that the
    token still speaks for it (a password changed meanwhile revokes the token: 401)."""
    user = await ctx.db.read(lambda session: current_user(session, claims))
    async with guard(user.email):
        if not await ctx.passwords.verify(user.password_hash, confirmation.password):
            raise WrongPassword(f"password {NOT_CONFIRMED}", fields={"password": [NOT_CONFIRMED]})

    async def work(session: AsyncSession) -> None:
        await erase(session, await current_user(session, claims))

    await ctx.db.write(work)


async def erase(session: AsyncSession, user: User) -> None:
    """Remove the user and every row that is theirs, keeping every counter on other rows exact.

    THE place that knows what a user owns: a new table or counter that depends on users, follows,
    articles, favorites or comments must be handled here (and checked in
    ``tests/api/test_account_lifecycle.py``, which recounts every counter from the rows)."""
    await users.lock(session, user.id)  # nothing new can refer to the user until this commits
    await favorites.unfavorite_all(session, user_id=user.id)  # articles' favorites totals
    await articles.delete_all_by(session, author_id=user.id)  # tags', global and favoriters' totals
    await comments.remove_all_by(session, author_id=user.id)  # on other people's articles
    await users.remove_all_follows(session, user.id)
    await sessions.end_all(session, user.id)  # the foreign key cascades too; said here, where it is seen
    await users.delete_user(session, user.id)
