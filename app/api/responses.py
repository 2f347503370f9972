"""OpenAPI declarations of the error responses each route can give."""

from __future__ import annotations

from typing import Any

from app.api.errors import ErrorEnvelope

_DESCRIPTIONS = {
    401: "Missing, malformed, expired or revoked credentials",
    403: "Authenticated, but not allowed to do this",
    404: "No such resource",
    409: "The data changed while the request ran; try again",
    413: "Request body too large",
    422: "Invalid input; `errors` has a key per offending field",
    429: "Too many requests or open streams; see `Retry-After`",
    503: "The database is temporarily unavailable; retry later",
}


# ``openapi_extra`` of routes that take a token but answer anonymous callers too: FastAPI lists
# the token scheme as required wherever it is read, and appends this "or no credentials" to it.
OPTIONAL_AUTH: dict[str, Any] = {"security": [{}]}


def errors(*status_codes: int, streaming: bool = False) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: the given statuses, plus 422 and 503 that every route can give.

    A ``streaming`` route (server-sent events) still answers errors in JSON, but FastAPI would
    document a ``model`` under the route's own media type, so those get the schema by reference (the
    other routes' models put ``ErrorEnvelope`` in the document's components)."""
    codes = sorted({*status_codes, 422, 503})
    if streaming:
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorEnvelope.__name__}"}}}
        return {code: {"description": _DESCRIPTIONS[code], "content": content} for code in codes}
    return {code: {"model": ErrorEnvelope, "description": _DESCRIPTIONS[code]} for code in codes}
