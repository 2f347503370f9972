"""The audit log of moderation actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import AuditEntry, User


async def record(
    session: AsyncSession,
    *,
    actor: User,
    action: str,
    target_type: str,
    target_id: int,
    detail: dict[str, Any],
) -> None:
    """Add one entry, in the transaction of the change it describes."""
    session.add(
        AuditEntry(
            actor_id=actor.id,
            actor_username=actor.username,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
        )
    )
    await session.flush()
