"""A write whose COMMIT fails answers 5xx with the error envelope and leaves nothing behind: no row,
no counter moved, no tag created. A write answered 2xx is committed: it is there when read back
right away on another connection.

The failure is PostgreSQL's own, at commit time: deferred constraint triggers (created here) raise
when the transaction commits, for rows carrying a marker value.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import make_settings
from tests.faults.database import PENDING, connected
from tests.faults.support import serving
from tests.helpers import auth, create_article, register

MARKER = "fail at commit"
FAIL_AT_COMMIT = [
    "CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'injected failure at commit'; END $$",
    "CREATE FUNCTION fail_favorite_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN IF (SELECT description FROM articles WHERE id = NEW.article_id) = '{MARKER}' THEN "
    "RAISE EXCEPTION 'injected failure at commit'; END IF; RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER fail_comment AFTER INSERT ON comments DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW WHEN (NEW.body = '{MARKER}') EXECUTE FUNCTION fail_at_commit()",
    "CREATE CONSTRAINT TRIGGER fail_article AFTER INSERT ON articles DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW WHEN (NEW.title = '{MARKER}') EXECUTE FUNCTION fail_at_commit()",
    "CREATE CONSTRAINT TRIGGER fail_favorite AFTER INSERT ON favorites DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION fail_favorite_at_commit()",
]
# Everything the writes below touch, as one JSON document.
SNAPSHOT = """
SELECT json_build_object(
    'articles', (SELECT json_agg(json_build_array(title, favorites_count + {article_favorites}) ORDER BY id)
                 FROM articles),
    'tags', (SELECT json_agg(json_build_array(name, articles_count + {tag_articles}) ORDER BY name)
             FROM tags),
    'article_tags', (SELECT count(*) FROM article_tags),
    'favorites', (SELECT count(*) FROM favorites),
    'comments', (SELECT json_agg(body ORDER BY id) FROM comments)
)::text
""".format(
    # Counters as reads show them: base plus pending deltas (a fold may run between two snapshots).
    article_favorites=PENDING.format(kind="article_favorites", target="articles.id"),
    tag_articles=PENDING.format(kind="tag_articles", target="tags.id"),
)


@dataclass(frozen=True)
class Scene:
    client: httpx.AsyncClient
    token: str
    article: str  # slug of an article anyone may favorite and comment on
    doomed: str  # slug of an article whose favorites fail at commit


@dataclass(frozen=True)
class Write:
    """A request that fails at commit when ``failing``, and what the snapshot shows once it succeeded."""

    send: Callable[[Scene, bool], Awaitable[httpx.Response]]
    success_status: int
    stored: Callable[[dict[str, Any]], bool]


async def _comment(scene: Scene, failing: bool) -> httpx.Response:
    body = MARKER if failing else "Thanks for this"
    return await scene.client.post(
        f"/api/articles/{scene.article}/comments", json={"comment": {"body": body}}, headers=auth(scene.token)
    )


async def _publish(scene: Scene, failing: bool) -> httpx.Response:
    title = MARKER if failing else "Kept"
    article = {"title": title, "description": "d", "body": "b", "tagList": ["existing", "brand-new"]}
    return await scene.client.post("/api/articles", json={"article": article}, headers=auth(scene.token))


async def _favorite(scene: Scene, failing: bool) -> httpx.Response:
    slug = scene.doomed if failing else scene.article
    return await scene.client.post(f"/api/articles/{slug}/favorite", headers=auth(scene.token))


WRITES = {
    "comment": Write(_comment, 200, lambda snapshot: snapshot["comments"] == ["Thanks for this"]),
    "article with tags": Write(
        _publish,
        201,
        lambda snapshot: (
            ["Kept", 0] in snapshot["articles"]
            and snapshot["tags"] == [["brand-new", 1], ["existing", 2]]
            and snapshot["article_tags"] == 3
        ),
    ),
    "favorite": Write(
        _favorite,
        200,
        lambda snapshot: snapshot["favorites"] == 1 and ["Open", 1] in snapshot["articles"],
    ),
}


async def _snapshot(database_url: str) -> dict[str, Any]:
    async with connected(database_url) as connection:
        document: dict[str, Any] = json.loads(await connection.fetchval(SNAPSHOT))
    return document


@pytest.fixture
async def scene(postgres_url: str) -> AsyncIterator[Scene]:
    async with serving(make_settings(postgres_url)) as (client, _context):
        author = await register(client)
        open_article = await create_article(client, author["token"], title="Open", tags=["existing"])
        doomed = await create_article(client, author["token"], title="Doomed", description=MARKER)
        async with connected(postgres_url) as connection:
            for statement in FAIL_AT_COMMIT:
                await connection.execute(statement)
        yield Scene(client=client, token=author["token"], article=open_article["slug"], doomed=doomed["slug"])


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_write_that_fails_at_commit_answers_500_and_stores_nothing(
    scene: Scene, postgres_url: str, write: Write
) -> None:
    before = await _snapshot(postgres_url)

    response = await write.send(scene, True)

    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert response.json() == {"errors": {"body": [f"internal server error (request id {request_id})"]}}
    assert await _snapshot(postgres_url) == before


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_write_answered_2xx_is_committed_when_read_back_at_once(
    scene: Scene, postgres_url: str, write: Write
) -> None:
    before = await _snapshot(postgres_url)

    response = await write.send(scene, False)
    after = await _snapshot(postgres_url)

    assert response.status_code == write.success_status, response.text
    assert not write.stored(before)
    assert write.stored(after), after
