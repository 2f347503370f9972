"""The one place that renders failures: every error, 500s included, as ``{"errors": {...}}``.

Field errors carry one key per field next to ``body``:
``{"errors": {"body": ["email has already been taken"], "email": ["has already been taken"]}}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.db.errors import is_unavailable
from app.exceptions import ConduitError, NotAuthenticated, ServiceUnavailable, TooManyRequests
from app.request_context import current_request_id

logger = logging.getLogger(__name__)

JSON_MEDIA_TYPE = "application/json; charset=utf-8"

# Pages for people answer errors with HTML: the web package registers a renderer taking
# (request, status code, messages) as ``app.state.page_errors``; API paths always get JSON.
PageErrorRenderer = Callable[[Request, int, list[str]], Response]


def _page_renderer(request: Request) -> PageErrorRenderer | None:
    path = request.url.path
    if path == "/api" or path.startswith("/api/"):
        return None
    renderer: PageErrorRenderer | None = getattr(request.app.state, "page_errors", None)
    return renderer


class ErrorBody(BaseModel):
    body: list[str]

    model_config = {"extra": "allow"}


class ErrorEnvelope(BaseModel):
    """Every error response: ``body`` lists messages; field errors add a key per field."""

    errors: ErrorBody


def error_response(
    status_code: int,
    messages: Sequence[str],
    *,
    fields: Mapping[str, Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    errors: dict[str, list[str]] = {"body": list(messages)}
    for field, problems in (fields or {}).items():
        # "body" is the message list itself, so a field of that name (an article's body, or the
        # request body as a whole) gets no key of its own: its messages already name it.
        if field != "body":
            errors.setdefault(field, []).extend(problems)
    return JSONResponse(
        {"errors": errors}, status_code=status_code, headers=dict(headers or {}), media_type=JSON_MEDIA_TYPE
    )


# --- request validation -------------------------------------------------------------------------


def _field_name(location: Sequence[Any]) -> str:
    """The field a pydantic error is about: the last named element of its location after the source
    (``body``, ``query``, ``path``, ...), or the source itself when the error is about all of it."""
    source, *rest = location or ("body",)
    names = [str(part) for part in rest if isinstance(part, str)]
    return names[-1] if names else str(source)


# Pydantic error types → the short phrase that follows the field name ("email is invalid").
_PROBLEMS: dict[str, str] = {
    "missing": "can't be blank",
    "string_too_long": "is too long (maximum is {max_length} characters)",
    "too_long": "has too many items (maximum is {max_length})",
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "greater_than_equal": "must be greater than or equal to {ge}",
    "less_than_equal": "must be less than or equal to {le}",
    "extra_forbidden": "is not a known parameter",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dict_type": "must be an object",
    "json_invalid": "is not valid JSON",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
}


def _problem(error: Mapping[str, Any]) -> str:
    kind, context = error.get("type", ""), error.get("ctx") or {}
    if error.get("input", ...) is None and kind.endswith("_type"):
        return "can't be blank"  # null where a value is required reads like a missing one
    if kind == "string_too_short":
        minimum = context.get("min_length")
        return "can't be blank" if minimum == 1 else f"is too short (minimum is {minimum} characters)"
    if kind == "value_error":
        message = str(context.get("error", "is invalid"))
        # email-validator explains at length; the field name says enough.
        return "is invalid" if "email address" in message or "@-sign" in message else message
    template = _PROBLEMS.get(kind)
    if template is not None:
        return template.format(**context)
    return str(error.get("msg", "is invalid")).lower()


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        problems = fields.setdefault(_field_name(error.get("loc", ())), [])
        problem = _problem(error)
        if problem not in problems:
            problems.append(problem)
    return fields


# --- handlers -----------------------------------------------------------------------------------


async def _conduit_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConduitError)
    # With field errors, the body lists one message per problem, just like validation errors.
    messages = [f"{field} {problem}" for field, problems in error.fields.items() for problem in problems]
    retry_after = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else {}
    if page_errors := _page_renderer(request):
        page = page_errors(request, error.status_code, messages or [error.message])
        page.headers.update(retry_after)  # people's browsers get the same hint as API clients
        return page
    headers = {"WWW-Authenticate": "Token"} if isinstance(error, NotAuthenticated) else None
    if isinstance(error, ServiceUnavailable):
        headers = {"Retry-After": "1"}
    if retry_after:
        headers = retry_after
    return error_response(
        error.status_code, messages or [error.message], fields=error.fields, headers=headers
    )


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    fields = validation_fields(error.errors())
    messages = [f"{field} {problem}" for field, problems in fields.items() for problem in problems]
    if page_errors := _page_renderer(request):
        return page_errors(request, 422, messages)
    return error_response(422, messages, fields=fields)


def _allowed_methods(request: Request) -> dict[str, str]:
    """``Allow`` for a 405: every method of the resource. The router names only those of the first
    route that matched, e.g. ``GET`` for ``/api/user``, which takes ``PUT`` too; the resource is
    that route's path template (``/api/articles/feed`` is the feed, not an article's ``{slug}``)."""
    template, methods = None, set[str]()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is Match.NONE or not route.methods:
            continue
        template = template or route.path_format
        if route.path_format == template:
            methods |= route.methods
    return {"Allow": ", ".join(sorted(methods))} if methods else {}


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 400 and isinstance(error.__cause__, UnicodeDecodeError):
        # FastAPI answers a JSON body that is not even UTF-8 with a bare 400; it is invalid JSON
        # like any other, so it gets the same 422.
        invalid = {"type": "json_invalid", "loc": ("body", 0), "msg": "JSON decode error", "input": {}}
        return await _validation_error(request, RequestValidationError([invalid]))
    message = {404: "not found", 405: "method not allowed"}.get(error.status_code, str(error.detail).lower())
    headers = {**(error.headers or {}), **(_allowed_methods(request) if error.status_code == 405 else {})}
    if page_errors := _page_renderer(request):
        page = page_errors(request, error.status_code, [message])
        page.headers.update({name: value for name, value in headers.items() if name == "Allow"})
        return page
    return error_response(error.status_code, [message], headers=headers)


def unexpected_error_response(error: Exception, request: Request | None = None) -> Response:
    """503 when the database is unavailable, otherwise 500; never a traceback, always the request id."""
    request_id = current_request_id()
    if is_unavailable(error):
        logger.warning("database unavailable: %s", type(error).__name__, exc_info=error)
        status, message, headers = 503, "service temporarily unavailable", {"Retry-After": "1"}
    else:
        logger.error("unhandled error", exc_info=error)
        status, message, headers = 500, "internal server error", {}
    messages = [f"{message} (request id {request_id})"]
    if request is not None and (page_errors := _page_renderer(request)):
        return page_errors(request, status, messages)
    return error_response(status, messages, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ConduitError, _conduit_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
