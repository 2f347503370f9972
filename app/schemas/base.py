"""Shared pieces of the schemas: camelCase JSON, timestamps with milliseconds, reusable field types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel


def format_timestamp(value: datetime) -> str:
    """UTC with milliseconds and a ``Z``: ``2026-11-26T12:00:00.000Z``."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    # orjson writes ``"2026-11-26T12:00:00.123456Z"``, 3x faster than isoformat(timespec=...): keep
    # the milliseconds (truncated, like the API stores them). Without microseconds it writes none.
    text = orjson.dumps(value, option=orjson.OPT_UTC_Z)
    return text[1:24].decode() + "Z" if value.microsecond else text[1:20].decode() + ".000Z"


Timestamp = Annotated[
    datetime,
    PlainSerializer(format_timestamp, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-26T12:00:00.000Z"]}),
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("can't be blank")
    return value


NotBlank = AfterValidator(_not_blank)
# How the OpenAPI document states "not blank": some character that ``str.strip`` keeps. Spelled
# out, because regex engines disagree on ``\s`` (Python's includes U+001C-U+001F, ECMA's U+FEFF).
NOT_BLANK_PATTERN = r"[^\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_BLANK_SCHEMA = Field(json_schema_extra={"pattern": NOT_BLANK_PATTERN})


def not_nullable(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of optional fields that refuse ``null``: documents the value's own
    schema without the ``null`` alternative (leaving the field out is how to change nothing)."""
    for option in schema.pop("anyOf", []):
        if option != {"type": "null"}:
            schema.update(option)


class ApiModel(BaseModel):
    """A JSON object with camelCase keys (``tagList``), built from attributes of read models."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


def contains_nul(value: object) -> bool:
    """Whether a string, or any string in a list, holds U+0000 (PostgreSQL cannot store it in text)."""
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list) and any(contains_nul(item) for item in value)


class InputModel(BaseModel):
    """A request object. Unknown keys are ignored, never stored; numbers are not coerced to strings;
    no string may contain the NUL character, on any engine."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: object) -> object:
        if contains_nul(value):
            raise ValueError("can't contain the NUL character")
        return value
