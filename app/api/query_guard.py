"""Refuses query parameters a route does not declare (422), so typos never pass silently, and path
or query values holding the NUL character (PostgreSQL cannot store or compare it in text)."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.exceptions import InvalidInput
from app.schemas.base import contains_nul

_declared: dict[int, frozenset[str]] = {}


def _query_names(dependant: Dependant) -> set[str]:
    """Names of the query parameters of a dependant and its sub-dependencies; models count by field."""
    names: set[str] = set()
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(info.alias or name for name, info in annotation.model_fields.items())
        else:
            names.add(field.alias)
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names


def _documented_query_names(route: APIRoute) -> set[str]:
    """Query parameters a route parses itself and documents in ``openapi_extra`` (``app.api.query``)."""
    parameters = (route.openapi_extra or {}).get("parameters", [])
    return {parameter["name"] for parameter in parameters if parameter.get("in") == "query"}


def _declared_query_names(route: APIRoute) -> frozenset[str]:
    names = _declared.get(id(route))
    if names is None:
        names = _declared[id(route)] = frozenset(
            _query_names(route.dependant) | _documented_query_names(route)
        )
    return names


def _reject_nul(request: Request) -> None:
    values = {**request.path_params, **request.query_params}
    fields = {
        name: ["can't contain the NUL character"] for name, value in values.items() if contains_nul(value)
    }
    if fields:
        raise InvalidInput("NUL character in the request", fields=fields)


async def guard_parameters(request: Request) -> None:
    _reject_nul(request)
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    unknown = sorted(set(request.query_params) - _declared_query_names(route))
    if unknown:
        fields = {name: ["is not a known parameter"] for name in unknown}
        raise InvalidInput("; ".join(f"{name} is not a known parameter" for name in unknown), fields=fields)
