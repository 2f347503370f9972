"""What observers learn about a finished request (its ASGI scope, final status and duration), and
the labels they derive from it."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.types import Scope

# Called by the request-context middleware once per HTTP request, inside the request's context (so
# log lines carry its id): (scope, status code, seconds from the request's arrival to its end).
Observer = Callable[[Scope, int, float], None]

UNMATCHED_ROUTE = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


class RouteTemplates:
    """The path template of the route that served a request (``/api/articles/{slug}``), never the raw
    path, so that labels stay few; ``unmatched`` when no route matched (404s, slash redirects).

    FastAPI puts the matched API route in ``scope["route"]``, but an included router's route only
    knows its path without the prefix; the full templates come from the app's route tree, indexed at
    the first request (every route is registered by then). Other routes (the schema, static files)
    leave no trace in the scope and are matched by path."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app
        self._api: dict[int, str] | None = None  # id(APIRoute) -> full template
        self._others: list[tuple[re.Pattern[str], str]] = []

    def __call__(self, scope: Scope) -> str:
        if self._api is None:
            self._index()
            assert self._api is not None
        route = scope.get("route")
        if route is not None:
            return self._api.get(id(route)) or str(getattr(route, "path_format", UNMATCHED_ROUTE))
        path = _route_path(scope)
        for pattern, template in self._others:
            if pattern.match(path):
                return template
        return UNMATCHED_ROUTE

    def _index(self) -> None:
        self._api = {}
        for context in iter_route_contexts(self._app.routes):
            template = context.path_format
            if template is None:
                continue
            if isinstance(context.original_route, APIRoute):
                self._api[id(context.original_route)] = template
            elif isinstance(pattern := getattr(context.original_route, "path_regex", None), re.Pattern):
                self._others.append((pattern, template))


def _route_path(scope: Scope) -> str:
    """The path the app's router matched: without the root path the server was given (a mount
    changes ``root_path`` on its way in, so the original one is ``app_root_path``)."""
    path = str(scope["path"])
    root = str(scope.get("app_root_path", scope.get("root_path", "")))
    return path[len(root) :] if root and path.startswith(root) else path


def method_label(scope: Scope) -> str:
    """The request method, or ``OTHER`` for anything non-standard (the client chooses the method)."""
    method = str(scope.get("method", ""))
    return method if method in KNOWN_METHODS else "OTHER"


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"
