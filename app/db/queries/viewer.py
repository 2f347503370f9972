"""Who is looking, and the check of their token that every read makes in its own statement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, bindparam, exists, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import User

VIEWER_ID = bindparam("viewer_id", type_=BigInteger)
VIEWER_VERSION = bindparam("viewer_version", type_=Integer)
_Caller = aliased(User, name="caller")


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, as their token says; checked against the stored user in the same statement."""

    id: int
    token_version: int


def viewer_params(viewer: Viewer | None) -> dict[str, Any]:
    return {
        "viewer_id": viewer.id if viewer else None,
        "viewer_version": viewer.token_version if viewer else None,
    }


def viewer_valid(*, signed_in: bool) -> ColumnElement[bool]:
    """Whether the viewer's token is still good: its user exists, is active and its credentials
    version is the token's. THE token check of every single-statement read (always true anonymously)."""
    if not signed_in:
        return true()
    return exists().where(
        _Caller.id == VIEWER_ID, _Caller.token_version == VIEWER_VERSION, _Caller.is_active.is_(True)
    )
