"""Query-string models parsed in one call (app.api.query): the same values, errors and documentation
as FastAPI's own ``Annotated[Model, Query()]``."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request

from app.api.query import documented, query_model, query_parameters
from app.schemas.articles import ArticleListQuery, ListQuery


def _request(query_string: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": query_string.encode()}
    )


async def test_values_are_read_and_converted_the_last_repeated_key_winning() -> None:
    parse = query_model(ArticleListQuery)

    query = await parse(_request("limit=5&tag=a&tag=dragons&offset=10"))

    assert query == ArticleListQuery(limit=5, offset=10, tag="dragons")


async def test_an_empty_query_string_gives_the_defaults() -> None:
    assert await query_model(ListQuery)(_request("")) == ListQuery()


@pytest.mark.parametrize(
    ("query_string", "location", "kind"),
    [
        ("limit=abc", ("query", "limit"), "int_parsing"),
        ("offset=-1", ("query", "offset"), "greater_than_equal"),
    ],
)
async def test_bad_values_raise_fastapis_validation_error_located_in_the_query(
    query_string: str, location: tuple[str, ...], kind: str
) -> None:
    with pytest.raises(RequestValidationError) as raised:
        await query_model(ListQuery)(_request(query_string))

    [error] = raised.value.errors()
    assert (error["loc"], error["type"]) == (location, kind)


def test_documented_parameters_are_those_fastapi_generates_for_the_model() -> None:
    async def declared(query: Any) -> None:
        """FastAPI's own description of the model's parameters."""

    declared.__annotations__ = {"query": Annotated[ArticleListQuery, Query()], "return": None}
    reference = FastAPI()
    reference.get("/")(declared)
    expected = reference.openapi()["paths"]["/"]["get"]["parameters"]

    assert list(query_parameters(ArticleListQuery)) == expected
    assert [parameter["name"] for parameter in expected] == [
        "limit",
        "offset",
        "tag",
        "author",
        "favorited",
        "search",
    ]
    assert documented(ListQuery, security=[{}]) == {
        "security": [{}],
        "parameters": list(query_parameters(ListQuery)),
    }
