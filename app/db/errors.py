"""Classifying database errors: which to retry, which mean "unavailable", which are constraint clashes."""

from __future__ import annotations

from sqlalchemy import exc

# PostgreSQL SQLSTATEs of an insert that refers to a row a concurrent transaction has just deleted
# (see app/services/removed.py).
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# query_canceled (statement_timeout), admin/crash shutdown, cannot connect now, lock timeout,
# idle-in-transaction timeout, too many connections.
UNAVAILABLE_SQLSTATES = frozenset({"57014", "57P01", "57P02", "57P03", "55P03", "25P03", "53300"})


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error wrapped by SQLAlchemy, if any."""
    original = getattr(error, "orig", None)
    code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return code if isinstance(code, str) else None


def is_retryable(error: BaseException) -> bool:
    """Whether re-running the whole transaction may succeed (serialization failure or deadlock)."""
    return isinstance(error, exc.DBAPIError) and sqlstate(error) in RETRYABLE_SQLSTATES


def is_disconnect(error: BaseException) -> bool:
    """Whether the connection itself was lost (a database restart, a dropped socket): SQLAlchemy has
    then invalidated it and every pooled connection older than it, so a new one is opened next."""
    return isinstance(error, exc.DBAPIError) and error.connection_invalidated


def is_unavailable(error: BaseException) -> bool:
    """Whether the database is temporarily unable to serve: the caller should answer 503."""
    if isinstance(error, exc.TimeoutError):  # pool exhausted past pool_timeout
        return True
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated or sqlstate(error) in UNAVAILABLE_SQLSTATES | RETRYABLE_SQLSTATES:
            return True
        if isinstance(error, exc.OperationalError):
            return True  # connection refused, SQLite "database is locked", ...
    return isinstance(error, (ConnectionError, OSError, TimeoutError))
