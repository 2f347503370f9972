"""Errors the services raise. The API layer renders each as the ``{"errors": ...}`` envelope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ConduitError(Exception):
    """Base of every expected failure; ``status_code`` is the HTTP status it maps to."""

    status_code = 500

    def __init__(self, message: str, *, fields: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class NotAuthenticated(ConduitError):
    status_code = 401


class Forbidden(ConduitError):
    status_code = 403


class WrongPassword(Forbidden):
    """The password given to confirm an action (deleting the account) does not match.

    Counted like a failed sign-in (``RateLimits.login_attempt``): otherwise anyone holding a token
    could guess the account's password here without limit."""


class NotFound(ConduitError):
    status_code = 404


class Conflict(ConduitError):
    """The data changed between the request's read and its write; trying again may succeed."""

    status_code = 409


class InvalidInput(ConduitError):
    """A rule about the input was broken; ``fields`` says which field and why."""

    status_code = 422

    @classmethod
    def for_field(cls, field: str, problem: str) -> InvalidInput:
        return cls(f"{field} {problem}", fields={field: [problem]})


class ServiceUnavailable(ConduitError):
    status_code = 503


class TooManyRequests(ConduitError):
    """A limit was reached; ``retry_after`` seconds is a fair wait before trying again."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
