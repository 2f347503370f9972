"""How pydantic validation errors become the field keys and messages of the 422 error envelope
(``validation_fields`` in ``app/api/errors.py``).

The errors are real ones from the app's schemas, located the way FastAPI locates them: first the
source of the input (``body``, ``query``, ``path``), then the path to the field inside it.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from app.api.errors import validation_fields
from app.schemas.articles import ListQuery, NewArticleRequest
from app.schemas.users import NewUserRequest

VALID_USER = {"username": "jake", "email": "jake@example.com", "password": "correct horse battery"}
VALID_ARTICLE = {"title": "Dragons", "description": "How to train them", "body": "Believe."}


def fields_for(model: type[BaseModel], data: Any, *, source: str = "body") -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    return validation_fields([{**error, "loc": (source, *error["loc"])} for error in refused.value.errors()])


def user_fields(**changes: Any) -> dict[str, list[str]]:
    return fields_for(NewUserRequest, {"user": {**VALID_USER, **changes}})


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"username": ""}, {"username": ["can't be blank"]}),
        ({"password": "short"}, {"password": ["is too short (minimum is 8 characters)"]}),
        ({"username": "j" * 33}, {"username": ["is too long (maximum is 32 characters)"]}),
        ({"username": 42}, {"username": ["must be a string"]}),
        ({"username": "jake doe"}, {"username": ["may only contain letters, digits, '_', '-' and '.'"]}),
        ({"email": "jake"}, {"email": ["is invalid"]}),
        ({"email": "jake@"}, {"email": ["is invalid"]}),
    ],
)
def test_each_field_problem_gets_a_short_phrase_under_the_field_name(
    changes: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    assert user_fields(**changes) == fields


def test_missing_fields_are_blank_and_listed_in_schema_order() -> None:
    assert fields_for(NewUserRequest, {"user": {}}) == {
        "username": ["can't be blank"],
        "email": ["can't be blank"],
        "password": ["can't be blank"],
    }


def test_problems_with_several_fields_are_all_reported() -> None:
    assert user_fields(username="", email="jake", password="short") == {
        "username": ["can't be blank"],
        "email": ["is invalid"],
        "password": ["is too short (minimum is 8 characters)"],
    }


@pytest.mark.parametrize(
    ("data", "fields"),
    [({}, {"user": ["can't be blank"]}), ({"user": "jake"}, {"user": ["must be an object"]})],
)
def test_a_missing_or_malformed_envelope_is_reported_under_its_key(
    data: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    assert fields_for(NewUserRequest, data) == fields


@pytest.mark.parametrize(
    ("tags", "fields"),
    [
        (["dragons", 42], {"tagList": ["must be a string"]}),
        ("dragons", {"tagList": ["must be a list"]}),
        ([f"tag{n}" for n in range(101)], {"tagList": ["has too many items (maximum is 100)"]}),
        (["t" * 41], {"tagList": ["tags are at most 40 characters"]}),
    ],
)
def test_a_problem_with_a_list_item_is_reported_under_the_list(
    tags: Any, fields: dict[str, list[str]]
) -> None:
    assert fields_for(NewArticleRequest, {"article": {**VALID_ARTICLE, "tagList": tags}}) == fields


def test_the_same_problem_is_reported_once_per_field() -> None:
    fields = fields_for(NewArticleRequest, {"article": {**VALID_ARTICLE, "tagList": ["dragons", 1, 2, 3]}})

    assert fields == {"tagList": ["must be a string"]}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"limit": "abc"}, {"limit": ["must be an integer"]}),
        ({"limit": "1.5"}, {"limit": ["must be an integer"]}),
        ({"limit": "0"}, {"limit": ["must be greater than or equal to 1"]}),
        ({"limit": "101"}, {"limit": ["must be less than or equal to 100"]}),
        ({"offset": "-1"}, {"offset": ["must be greater than or equal to 0"]}),
        ({"page": "2"}, {"page": ["is not a known parameter"]}),
    ],
)
def test_query_parameter_problems_are_reported_under_the_parameter(
    query: dict[str, str], fields: dict[str, list[str]]
) -> None:
    assert fields_for(ListQuery, query, source="query") == fields


@pytest.mark.parametrize(
    ("error", "fields"),
    [
        # FastAPI's own errors about the request body as a whole.
        ({"type": "missing", "loc": ("body",), "msg": "Field required"}, {"body": ["can't be blank"]}),
        (
            {"type": "json_invalid", "loc": ("body", 12), "msg": "JSON decode error", "ctx": {"error": "x"}},
            {"body": ["is not valid JSON"]},
        ),
        # An error type without a phrase of ours falls back to pydantic's message.
        (
            {"type": "uuid_parsing", "loc": ("path", "id"), "msg": "Input should be a valid UUID"},
            {"id": ["input should be a valid uuid"]},
        ),
    ],
)
def test_errors_about_the_whole_body_or_of_unknown_types_are_rendered(
    error: dict[str, Any], fields: dict[str, list[str]]
) -> None:
    assert validation_fields([error]) == fields


def test_no_errors_give_no_fields() -> None:
    assert validation_fields([]) == {}
