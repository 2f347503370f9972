"""Who is looking, and the check of their token that every read makes in its own statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, true
from sqlalchemy.sql.elements import ColumnElement

from app.db.session_check import live

VIEWER_ID = bindparam("viewer_id", type_=BigInteger)
VIEWER_SESSION = bindparam("viewer_session", type_=String)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, as their token says; checked against their session in the same statement."""

    id: int
    session_id: str


def viewer_params(viewer: Viewer | None) -> dict[str, Any]:
    return {
        "viewer_id": viewer.id if viewer else None,
        "viewer_session": viewer.session_id if viewer else None,
    }


def viewer_valid(*, signed_in: bool) -> ColumnElement[bool]:
    """Whether the viewer's token is still good: its session exists and its user is active. THE
    token check of every single-statement read (always true anonymously)."""
    if not signed_in:
        return true()
    return live(VIEWER_ID, VIEWER_SESSION)
