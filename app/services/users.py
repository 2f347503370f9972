"""Accounts: registration, login, the current user and their update.

Registering and logging in each start a session (``services/sessions.py``); the token returned names
it. A password change ends every other session of the user and keeps the caller's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.models import User
from app.db.repositories import sessions as session_rows
from app.db.repositories import users
from app.db.types import utc_now
from app.exceptions import Conflict, Forbidden, InvalidInput, NotAuthenticated
from app.schemas.users import LoginCredentials, NewUser, UserUpdate
from app.security.tokens import TokenClaims
from app.services import sessions
from app.services.context import AppContext
from app.services.identity import current_user

TAKEN = "has already been taken"
BAD_CREDENTIALS = "email or password is invalid"
PASSWORD_CHANGED = "was changed by another request meanwhile; try again"  # noqa: S105 - a message


def _account(ctx: AppContext, user: User, session_id: str) -> domain.Account:
    token = ctx.tokens.issue(TokenClaims(user_id=user.id, session_id=session_id))
    return domain.Account(
        id=user.id, email=user.email, username=user.username, bio=user.bio, image=user.image, token=token
    )


def _clash_error(error: IntegrityError) -> InvalidInput:
    """Which unique field a racing writer took first."""
    field = "email" if "email" in str(error.orig) else "username"
    return InvalidInput.for_field(field, TAKEN)


async def _ensure_unique(
    session: AsyncSession, *, username: str | None, email: str | None, user_id: int | None
) -> None:
    fields: dict[str, list[str]] = {}
    email_taken, username_taken = await users.taken(
        session, username=username, email=email, except_id=user_id
    )
    if email_taken:
        fields["email"] = [TAKEN]
    if username_taken:
        fields["username"] = [TAKEN]
    if fields:
        raise InvalidInput("; ".join(f"{field} {TAKEN}" for field in fields), fields=fields)


async def register(
    ctx: AppContext, data: NewUser, client: domain.SignInClient, *, staff: bool = False
) -> domain.Account:
    """A new account, signed in from ``client``; staff accounts (``conduit create-admin``) are made
    even if registration is closed."""
    if not staff and not ctx.settings.registration_enabled:
        raise Forbidden("registration is closed")
    password_hash = await ctx.passwords.hash(data.password)  # slow: done before the transaction

    async def work(session: AsyncSession) -> domain.Account:
        await _ensure_unique(session, username=data.username, email=data.email, user_id=None)
        try:
            user = await users.add(
                session, username=data.username, email=data.email, password_hash=password_hash, is_staff=staff
            )
        except IntegrityError as error:  # a concurrent registration won the race
            raise _clash_error(error) from error
        return _account(ctx, user, await sessions.start(ctx, session, user.id, client, new_user=True))

    return await ctx.db.write(work)


async def login(
    ctx: AppContext, credentials: LoginCredentials, client: domain.SignInClient
) -> domain.Account:
    """Same answer, and about the same time, for an unknown email, a wrong password and a deactivated user.

    The password is checked between two transactions (no connection is held while argon2 works);
    the second locks the user and starts the session only if the account is still active and still
    has the password just checked: a deactivation or password change that committed meanwhile ended
    every session, and must not miss this one."""
    found = await ctx.db.read(lambda session: users.get_by_email(session, credentials.email.lower()))
    if not await ctx.passwords.verify(found.password_hash if found else None, credentials.password):
        raise NotAuthenticated(BAD_CREDENTIALS)
    assert found is not None
    checked = found

    async def work(session: AsyncSession) -> domain.Account:
        user = await users.get_locked(session, checked.id)
        # Inactive is checked after the password, so it cannot be told apart from a wrong one.
        if user is None or not user.is_active or user.password_hash != checked.password_hash:
            raise NotAuthenticated(BAD_CREDENTIALS)
        return _account(ctx, user, await sessions.start(ctx, session, user.id, client))

    return await ctx.db.write(work)


async def get_current(ctx: AppContext, claims: TokenClaims) -> domain.Account:
    async def work(session: AsyncSession) -> domain.Account:
        return _account(ctx, await current_user(session, claims), claims.session_id)

    return await ctx.db.read(work)


async def update(ctx: AppContext, claims: TokenClaims, data: UserUpdate) -> domain.Account:
    """Argon2 runs between two transactions, as in login: a read finds the stored hash, the new
    password is checked against it (and hashed, if it is a change) in a thread, and the write only
    commits if the stored hash is still the one checked. So no transaction, and on SQLite not the one
    write lock, is held while argon2 works."""
    given = data.model_fields_set
    new_hash: str | None = None
    checked_hash: str | None = None  # the stored hash the new password was compared with
    if data.password is not None:
        user = await ctx.db.read(lambda session: current_user(session, claims))
        checked_hash = user.password_hash
        # Re-sending the current password is not a change and keeps the other sessions.
        if not await ctx.passwords.verify(checked_hash, data.password):
            new_hash = await ctx.passwords.hash(data.password)

    async def work(session: AsyncSession) -> domain.Account:
        user = await current_user(session, claims)
        if checked_hash is not None and user.password_hash != checked_hash:
            # Changed since it was checked (a password change from another session also ends this
            # one, so the line above answers 401 first; this keeps the rule local): nothing is written.
            raise Conflict(PASSWORD_CHANGED, fields={"password": [PASSWORD_CHANGED]})
        changes: dict[str, Any] = {
            name: getattr(data, name) for name in ("username", "email", "bio", "image") if name in given
        }
        await _ensure_unique(session, username=data.username, email=data.email, user_id=user.id)
        if new_hash is not None:
            changes["password_hash"] = new_hash
            await session_rows.end_all(session, user.id, keep=claims.session_id)
        if changes:
            changes["updated_at"] = utc_now()
            try:
                await users.update_fields(session, user, changes)
            except IntegrityError as error:
                raise _clash_error(error) from error
        return _account(ctx, user, claims.session_id)

    return await ctx.db.write(work)
