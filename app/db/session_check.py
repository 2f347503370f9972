"""The check of a token's session, shared by the reads (``queries``, inside each statement) and the
writes (``services.identity.current_user``); see ``repositories/sessions.py`` for the rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import aliased

from app.db.models import User, UserSession

_Owner = aliased(User, name="session_owner")  # never the outer query's users: no correlation


def live(user_id: Any, session_id: Any) -> ColumnElement[bool]:
    """True while the session exists, belongs to ``user_id`` and that user is active.

    Values or bound parameters; the statement reading it needs no extra round trip. Also true only
    for the account the session was made for: a deleted account's sessions went with it."""
    return exists().where(
        UserSession.id == session_id,
        UserSession.user_id == user_id,
        _Owner.id == UserSession.user_id,
        _Owner.is_active.is_(True),
    )
