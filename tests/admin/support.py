"""Helpers for admin console tests: staff accounts, console actions sent as a browser sends them,
and the audit log read straight from the database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.counts import Count, current
from app.db.models import Article, AuditEntry, Tag, User
from app.services import moderation
from app.services.context import AppContext
from tests.helpers import register

# What a browser sends when a console page navigates to an action link (sqladmin's actions are
# GET links): the fetch metadata header, which no page can forge.
FROM_THE_CONSOLE = {"Sec-Fetch-Site": "same-origin"}


async def register_staff(client: httpx.AsyncClient, context: AppContext) -> dict[str, Any]:
    """A new account made staff the way ``conduit create-admin`` promotes one."""
    user = await register(client)
    grant = await moderation.grant_staff(context, user["email"])
    assert grant is not None
    return user


async def run_action(
    console: httpx.AsyncClient,
    view: str,
    action: str,
    *ids: int,
    headers: Mapping[str, str] = FROM_THE_CONSOLE,
) -> httpx.Response:
    """Clicks a console action for the rows ``ids`` (``/admin/<view>/action/<action>?pks=...``)."""
    pks = ",".join(str(target_id) for target_id in ids)
    return await console.get(f"/admin/{view}/action/{action}", params={"pks": pks}, headers=headers)


async def audit_log(context: AppContext) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    """Every audit entry, oldest first: (staff member, action, target type, target id, detail)."""

    async def read(session: AsyncSession) -> list[tuple[str, str, str, int, dict[str, Any]]]:
        entries = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [
            (entry.actor_username, entry.action, entry.target_type, entry.target_id, entry.detail)
            for entry in entries
        ]

    return await context.db.read(read)


async def user_id(context: AppContext, username: str) -> int:
    """The id the console shows for this user."""
    found = await context.db.read(
        lambda session: session.scalar(select(User.id).where(User.username == username))
    )
    assert found is not None
    return int(found)


async def article_id(context: AppContext, slug: str) -> int:
    """The id the console shows for this article."""
    found = await context.db.read(
        lambda session: session.scalar(select(Article.id).where(Article.slug == slug))
    )
    assert found is not None
    return int(found)


async def tag_counts(context: AppContext) -> dict[str, int]:
    """Every tag and the number of (visible) articles it is counted on."""

    async def read(session: AsyncSession) -> dict[str, int]:
        counted = current(Tag.articles_count, Count.TAG_ARTICLES, Tag.id)  # base + pending deltas
        rows = await session.execute(select(Tag.name, counted.label("articles_count")))
        return {row.name: row.articles_count for row in rows}

    return await context.db.read(read)
