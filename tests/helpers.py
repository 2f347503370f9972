"""Small helpers that make API tests read like the scenario they check."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.folding import BACKGROUND
from app.services.context import AppContext
from config import Settings

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}{next(_counter)}"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


async def register(
    client: httpx.AsyncClient,
    username: str | None = None,
    *,
    password: str = PASSWORD,
    email: str | None = None,
) -> dict[str, Any]:
    """Registers a user and returns the ``user`` object (with ``token``)."""
    username = username or unique_name()
    response = await client.post(
        "/api/users",
        json={
            "user": {"username": username, "email": email or f"{username}@example.com", "password": password}
        },
    )
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


async def create_article(
    client: httpx.AsyncClient,
    token: str,
    *,
    title: str = "How to train your dragon",
    description: str = "Ever wonder how?",
    body: str = "You have to believe",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/api/articles",
        json={"article": {"title": title, "description": description, "body": body, "tagList": tags or []}},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()["article"]
    return article


class StatementCounter:
    """Counts the SQL statements an engine executes while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_statements(engine: AsyncEngine) -> Any:
    counter = StatementCounter()

    def before_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.get_execution_options().get(BACKGROUND):
            return  # the process's counter folder, not the request (app/db/folding.py)
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            counter.statements.append(statement)

    listener: Callable[..., None] = before_execute
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)


@asynccontextmanager
async def app_context(settings: Settings) -> AsyncIterator[AppContext]:
    """An application context of its own (engine, pool, event bus) for ``settings``, closed after."""
    context = AppContext.from_settings(settings)
    try:
        yield context
    finally:
        await context.close()
