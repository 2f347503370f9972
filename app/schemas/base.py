"""Shared pieces of the schemas: camelCase JSON, timestamps with milliseconds, reusable field types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel


def format_timestamp(value: datetime) -> str:
    """UTC with milliseconds and a ``Z``: ``2026-11-26T12:00:00.000Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


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


class ApiModel(BaseModel):
    """A JSON object with camelCase keys (``tagList``), built from attributes of read models."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class InputModel(BaseModel):
    """A request object. Unknown keys are ignored, never stored; numbers are not coerced to strings."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, str_strip_whitespace=False)
