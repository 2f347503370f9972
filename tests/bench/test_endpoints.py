"""The contention scenarios send what their names say: ``favorite hot`` is every writer on ONE
article, ``favorite spread`` each writer on its own, the two ``create`` rows share one tag or give
each writer its own, ``register`` makes a new account per request; and wrk gets each request with
its writer's token."""

from __future__ import annotations

import json

from app.bench.endpoints import UNIQUE, WRITERS, Caller, Endpoint, endpoints, select
from app.bench.scales import SCALES
from app.bench.wrk import listing

SCENARIOS = ["favorite hot", "favorite spread", "create same tag", "create distinct tags", "register"]


def _scenario(name: str) -> Endpoint:
    [endpoint] = select(endpoints(SCALES["tiny"]), [name])
    return endpoint


def test_the_write_scenarios_come_after_the_reads_under_their_names() -> None:
    names = [endpoint.name for endpoint in endpoints(SCALES["tiny"])]

    assert names[-len(SCENARIOS) :] == SCENARIOS
    assert all(_scenario(name).writes for name in SCENARIOS)
    assert not _scenario("list").writes


def test_favorite_hot_is_every_writer_on_one_article_and_spread_each_on_its_own() -> None:
    hot, spread = _scenario("favorite hot"), _scenario("favorite spread")

    for endpoint in (hot, spread):
        assert endpoint.caller is Caller.WRITERS
        assert {request.writer for request in endpoint.requests} == set(range(WRITERS))
        # Each writer favorites, then (a whole round later) unfavorites.
        assert [request.method for request in endpoint.requests] == ["POST"] * WRITERS + ["DELETE"] * WRITERS
    assert len({request.path for request in hot.requests}) == 1
    assert len({request.path for request in spread.requests}) == WRITERS


def test_the_create_rows_share_one_tag_or_give_each_writer_its_own() -> None:
    def tags(name: str) -> set[str]:
        return {
            tag
            for request in _scenario(name).requests
            for tag in json.loads(request.body)["article"]["tagList"]
        }

    assert len(tags("create same tag")) == 1
    assert len(tags("create distinct tags")) == WRITERS
    assert all(UNIQUE in request.body for request in _scenario("create same tag").requests)  # new titles


def test_register_makes_a_new_account_per_request() -> None:
    [request] = _scenario("register").requests

    user = json.loads(request.body)["user"]
    assert UNIQUE in user["username"]
    assert UNIQUE in user["email"]


def test_wrk_gets_each_request_with_its_writers_token() -> None:
    tokens = [f"token{writer}" for writer in range(WRITERS)]

    lines = listing(_scenario("favorite spread").requests, tokens).splitlines()

    assert [line.split("\t")[3] for line in lines] == tokens * 2
    assert listing(_scenario("list").requests, tokens) == "GET\t/api/articles\t\t\n"
