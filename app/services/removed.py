"""Writes that refer to a row which a concurrent transaction deletes meanwhile: a 404, never a 500.

A write reads what it refers to (an article, a followed user) and then inserts a row pointing at it.
On PostgreSQL a deletion can commit in between, or hold the row locked when the insert's key check
comes: that check then waits for the deletion and fails (SQLSTATE 23503). The answer is the one the
writer would have got a moment later: "not found". SQLite runs one writer at a time, so there this
never happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from app.db.errors import FOREIGN_KEY_VIOLATION, sqlstate
from app.exceptions import NotFound


@contextmanager
def not_found_if_removed(missing: str, *, also: frozenset[str] = frozenset()) -> Iterator[None]:
    """Turn a foreign-key failure (and the SQLSTATEs in ``also``) of the block's insert into
    ``NotFound(missing)``; any other integrity error stays what it is."""
    try:
        yield
    except IntegrityError as error:
        if sqlstate(error) not in {FOREIGN_KEY_VIOLATION, *also}:
            raise
        raise NotFound(missing) from error
