"""Moderation by staff: deactivating users, hiding and deleting articles and comments.

Each action is one transaction: the staff member is checked again, every selected row changes, and
an audit entry per changed row is written with it, so no change is ever kept without its entry. A
row already in the wanted state (hiding a hidden article) changes nothing and gets no entry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import domain
from app.db.models import Article, Comment, User
from app.db.repositories import articles, audit, comments, sessions, users
from app.db.types import utc_now
from app.events.model import Audience, EventType
from app.exceptions import Forbidden, InvalidInput, NotFound
from app.security.tokens import TokenClaims
from app.services import article_events
from app.services import articles as article_service
from app.services.context import AppContext
from app.services.identity import current_user

STAFF_ONLY = "the admin console is for staff only"
EXCERPT = 200  # characters of a comment kept in the audit log when it is deleted


@dataclass(frozen=True, slots=True)
class _Done:
    """What an action did to one row, for its audit entry."""

    action: str
    target_type: str
    target_id: int
    detail: dict[str, Any] = field(default_factory=dict)


Change = Callable[[AsyncSession, User, int], Awaitable[_Done | None]]


async def _current_staff(session: AsyncSession, claims: TokenClaims) -> User:
    user = await current_user(session, claims)  # 401: signed out, deactivated or revoked
    if not user.is_staff:
        raise Forbidden(STAFF_ONLY)
    return user


async def staff_member(ctx: AppContext, claims: TokenClaims) -> domain.StaffMember:
    """The staff user behind a session; 401 if it no longer signs anyone in, 403 if not staff."""

    async def work(session: AsyncSession) -> domain.StaffMember:
        user = await _current_staff(session, claims)
        return domain.StaffMember(id=user.id, username=user.username)

    return await ctx.db.read(work)


async def _moderate(ctx: AppContext, claims: TokenClaims, target_ids: Sequence[int], change: Change) -> int:
    """Apply ``change`` to every target and audit each real change; how many rows changed."""
    if not target_ids:
        raise InvalidInput("select at least one row")

    async def work(session: AsyncSession) -> int:
        staff = await _current_staff(session, claims)
        changed = 0
        for target_id in sorted(set(target_ids)):
            done = await change(session, staff, target_id)
            if done is not None:
                await audit.record(
                    session,
                    actor=staff,
                    action=done.action,
                    target_type=done.target_type,
                    target_id=done.target_id,
                    detail=done.detail,
                )
                changed += 1
        return changed

    return await ctx.db.write(work)


# --- users ----------------------------------------------------------------------------------------


async def _user(session: AsyncSession, user_id: int) -> User:
    user = await users.get_by_id(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


async def deactivate_users(ctx: AppContext, claims: TokenClaims, user_ids: Sequence[int]) -> int:
    """They can no longer sign in, and every token and session they hold stops working at once."""

    async def change(session: AsyncSession, staff: User, user_id: int) -> _Done | None:
        user = await _user(session, user_id)
        if user.id == staff.id:
            raise InvalidInput("you cannot deactivate yourself")
        if not user.is_active:
            return None
        await users.update_fields(session, user, {"is_active": False, "updated_at": utc_now()})
        await sessions.end_all(session, user.id)
        return _Done("deactivate", "user", user.id, {"username": user.username})

    return await _moderate(ctx, claims, user_ids, change)


async def reactivate_users(ctx: AppContext, claims: TokenClaims, user_ids: Sequence[int]) -> int:
    """They can sign in again (the sessions they had before stay ended)."""

    async def change(session: AsyncSession, _staff: User, user_id: int) -> _Done | None:
        user = await _user(session, user_id)
        if user.is_active:
            return None
        await users.update_fields(session, user, {"is_active": True, "updated_at": utc_now()})
        return _Done("reactivate", "user", user.id, {"username": user.username})

    return await _moderate(ctx, claims, user_ids, change)


# --- articles -------------------------------------------------------------------------------------


async def _article(session: AsyncSession, article_id: int) -> Article:
    article = await articles.get_by_id(session, article_id)
    if article is None:
        raise NotFound(f"article {article_id} not found")
    return article


async def _article_detail(session: AsyncSession, article: Article) -> dict[str, Any]:
    author = await users.get_by_id(session, article.author_id)
    return {"slug": article.slug, "title": article.title, "author": author.username if author else None}


async def hide_articles(ctx: AppContext, claims: TokenClaims, article_ids: Sequence[int]) -> int:
    """404 to everyone but their authors, and out of every list, feed and tag count."""
    return await _set_articles_hidden(ctx, claims, article_ids, hide=True)


async def unhide_articles(ctx: AppContext, claims: TokenClaims, article_ids: Sequence[int]) -> int:
    return await _set_articles_hidden(ctx, claims, article_ids, hide=False)


async def _set_articles_hidden(
    ctx: AppContext, claims: TokenClaims, article_ids: Sequence[int], *, hide: bool
) -> int:
    async def change(session: AsyncSession, _staff: User, article_id: int) -> _Done | None:
        article = await _article(session, article_id)
        if (article.hidden_at is not None) == hide:
            return None  # already so: nothing to change or audit
        await articles.set_hidden(session, article, utc_now() if hide else None)
        if hide:  # gone for all but its author, who still reads it (nothing to say when shown again)
            await article_events.announce_gone(ctx, session, article, audience=Audience.OTHERS)
        action = "hide" if hide else "unhide"
        return _Done(action, "article", article.id, await _article_detail(session, article))

    return await _moderate(ctx, claims, article_ids, change)


async def delete_articles(ctx: AppContext, claims: TokenClaims, article_ids: Sequence[int]) -> int:
    """Deleted as their authors would (tags, favorites and comments go with them)."""

    async def change(session: AsyncSession, _staff: User, article_id: int) -> _Done | None:
        article = await _article(session, article_id)
        detail = await _article_detail(session, article)
        await article_service.remove(ctx, session, article)
        return _Done("delete", "article", article_id, detail)

    return await _moderate(ctx, claims, article_ids, change)


# --- comments -------------------------------------------------------------------------------------


async def _comment(session: AsyncSession, comment_id: int) -> tuple[Comment, Article]:
    comment = await comments.get_by_id(session, comment_id)
    if comment is None:
        raise NotFound(f"comment {comment_id} not found")
    return comment, await _article(session, comment.article_id)


async def _comment_detail(session: AsyncSession, comment: Comment, article: Article) -> dict[str, Any]:
    author = await users.get_by_id(session, comment.author_id)
    return {
        "article": article.slug,
        "author": author.username if author else None,
        "body": comment.body[:EXCERPT],
    }


async def hide_comments(ctx: AppContext, claims: TokenClaims, comment_ids: Sequence[int]) -> int:
    """Out of every comment list; readers of the article see it go."""
    return await _set_comments_hidden(ctx, claims, comment_ids, hide=True)


async def unhide_comments(ctx: AppContext, claims: TokenClaims, comment_ids: Sequence[int]) -> int:
    return await _set_comments_hidden(ctx, claims, comment_ids, hide=False)


async def _set_comments_hidden(
    ctx: AppContext, claims: TokenClaims, comment_ids: Sequence[int], *, hide: bool
) -> int:
    async def change(session: AsyncSession, _staff: User, comment_id: int) -> _Done | None:
        comment, article = await _comment(session, comment_id)
        if (comment.hidden_at is not None) == hide:
            return None  # already so: nothing to change or audit
        comment.hidden_at = utc_now() if hide else None
        await session.flush()
        # Readers of the article see a hidden comment go and an unhidden one come back.
        kind = EventType.COMMENT_DELETED if hide else EventType.COMMENT_CREATED
        await article_events.announce(ctx, session, article, kind, comment_id=comment.id)
        action = "hide" if hide else "unhide"
        return _Done(action, "comment", comment.id, await _comment_detail(session, comment, article))

    return await _moderate(ctx, claims, comment_ids, change)


async def delete_comments(ctx: AppContext, claims: TokenClaims, comment_ids: Sequence[int]) -> int:
    async def change(session: AsyncSession, _staff: User, comment_id: int) -> _Done | None:
        comment, article = await _comment(session, comment_id)
        detail = await _comment_detail(session, comment, article)
        await comments.remove(session, comment)
        if comment.hidden_at is None:  # readers never saw a hidden one
            await article_events.announce(
                ctx, session, article, EventType.COMMENT_DELETED, comment_id=comment_id
            )
        return _Done("delete", "comment", comment_id, detail)

    return await _moderate(ctx, claims, comment_ids, change)


# --- staff ----------------------------------------------------------------------------------------


async def grant_staff(
    ctx: AppContext, email: str, *, username: str | None = None
) -> domain.StaffGrant | None:
    """Make the user with this email staff (``conduit create-admin``); ``None`` if there is none.

    A ``username`` that is not that user's is refused, so a typo cannot promote the wrong person."""

    async def work(session: AsyncSession) -> domain.StaffGrant | None:
        user = await users.get_by_email(session, email.lower())
        if user is None:
            return None
        if username is not None and username.lower() != user.username.lower():
            raise InvalidInput.for_field(
                "username", f"is not that of the account with this email ({user.username})"
            )
        already = user.is_staff
        if not already:
            await users.update_fields(session, user, {"is_staff": True, "updated_at": utc_now()})
        return domain.StaffGrant(username=user.username, already_staff=already, is_active=user.is_active)

    return await ctx.db.write(work)
