"""OpenAPI declarations of the error responses each route can give."""

from __future__ import annotations

from typing import Any

from app.api.errors import ErrorEnvelope

_DESCRIPTIONS = {
    401: "Missing, malformed, expired or revoked credentials",
    403: "Authenticated, but not allowed to do this",
    404: "No such resource",
    413: "Request body too large",
    422: "Invalid input; `errors` has a key per offending field",
    503: "The database is temporarily unavailable; retry later",
}


def errors(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the given statuses, plus 422 and 503 that every route can give."""
    codes = sorted({*status_codes, 422, 503})
    return {code: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[code]} for code in codes}
