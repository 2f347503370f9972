"""List filters the console needs beyond sqladmin's own (which compare a column with a value)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement
from starlette.requests import Request


class ConditionFilter:
    """A filter with a few named choices, each a SQL condition (``hidden``: ``hidden_at IS NOT NULL``)."""

    has_operator = False
    template = "sqladmin/filters/lookup_filter.html"

    def __init__(
        self, title: str, parameter_name: str, choices: dict[str, tuple[str, ColumnElement[bool]]]
    ) -> None:
        self.title = title
        self.parameter_name = parameter_name
        self._choices = choices

    async def lookups(
        self, request: Request, model: Any, run_query: Callable[[Select[Any]], Any]
    ) -> list[tuple[str, str]]:
        return [(value, label) for value, (label, _) in self._choices.items()]

    async def get_filtered_query(self, query: Select[Any], value: Any, model: Any) -> Select[Any]:
        choice = self._choices.get(value)
        return query if choice is None else query.where(choice[1])


def hidden_filter(column: InstrumentedAttribute[Any]) -> ConditionFilter:
    """Visible or hidden by staff, for a model with a ``hidden_at`` column."""
    return ConditionFilter(
        "Moderation",
        "hidden",
        {"yes": ("Hidden", column.is_not(None)), "no": ("Visible", column.is_(None))},
    )
