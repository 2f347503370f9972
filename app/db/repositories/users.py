"""Users and follows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Follow, User
from app.db.repositories._upsert import insert_or_ignore


async def get_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_locked(session: AsyncSession, user_id: int) -> User | None:
    """The user, their row locked until the transaction ends (PostgreSQL; SQLite writers are serial)."""
    return await session.get(User, user_id, with_for_update=True)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.scalars(select(User).where(User.email == email))
    return result.one_or_none()


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    """Case-insensitive, served by the unique index on lower(username)."""
    result = await session.scalars(select(User).where(func.lower(User.username) == username.lower()))
    return result.one_or_none()


async def taken(
    session: AsyncSession, *, username: str | None, email: str | None, except_id: int | None = None
) -> tuple[bool, bool]:
    """Whether the email, and whether the username, belong to another user, in one statement (a
    value not given is not taken)."""
    others = User.id != except_id if except_id is not None else true()
    email_taken = exists().where(User.email == email, others) if email is not None else false()
    username_taken = (
        exists().where(func.lower(User.username) == username.lower(), others)
        if username is not None
        else false()
    )
    row = (await session.execute(select(email_taken, username_taken))).one()
    return bool(row[0]), bool(row[1])


async def username_taken(session: AsyncSession, username: str, *, except_id: int | None = None) -> bool:
    return (await taken(session, username=username, email=None, except_id=except_id))[1]


async def email_taken(session: AsyncSession, email: str, *, except_id: int | None = None) -> bool:
    return (await taken(session, username=None, email=email, except_id=except_id))[0]


async def add(
    session: AsyncSession, *, username: str, email: str, password_hash: str, is_staff: bool = False
) -> User:
    user = User(username=username, email=email, password_hash=password_hash, is_staff=is_staff)
    session.add(user)
    await session.flush()
    return user


async def lock(session: AsyncSession, user_id: int) -> None:
    """Lock the user's row until the transaction ends (PostgreSQL; SQLite writers are serial anyway).
    Anything inserted that refers to the user (an article, a favorite, a follow) waits for it."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())


async def delete_user(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(User).where(User.id == user_id))


async def update_fields(session: AsyncSession, user: User, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(user, name, value)
    await session.flush()


async def is_following(session: AsyncSession, *, follower_id: int | None, followee_id: int) -> bool:
    if follower_id is None:
        return False
    query = select(exists().where(Follow.follower_id == follower_id, Follow.followee_id == followee_id))
    return bool(await session.scalar(query))


async def follow(session: AsyncSession, *, follower_id: int, followee_id: int) -> None:
    """Idempotent: following twice leaves one row, also when two requests race."""
    statement = insert_or_ignore(session, Follow).values(follower_id=follower_id, followee_id=followee_id)
    await session.execute(statement)


async def unfollow(session: AsyncSession, *, follower_id: int, followee_id: int) -> None:
    await session.execute(
        delete(Follow).where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)
    )


async def remove_all_follows(session: AsyncSession, user_id: int) -> None:
    """Both ways: whom the user follows and who follows them."""
    await session.execute(
        delete(Follow).where((Follow.follower_id == user_id) | (Follow.followee_id == user_id))
    )
