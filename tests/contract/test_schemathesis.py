"""The API against its own contract: schemathesis fuzzes every operation of ``/openapi.json``.

All of schemathesis's checks run: no server errors; statuses, content types, headers and bodies as
documented; schema-valid input accepted and schema-violating input refused; required auth really
required; deleted resources really gone; ``Allow`` on 405s; and the rest. The stateless phases
(examples, coverage, fuzzing) run one test per operation; the stateful phase chains operations
through the links schemathesis infers (register → write an article → comment on it → delete ...).
Every request carries the token of a registered user. The seed is fixed and generation
deterministic, so a failure reproduces; example counts are bounded so this module runs in a few
minutes on SQLite. Rate limits are off: the fuzzer is one client sending thousands of writes.

The schema is loaded when this module is imported (schemathesis parametrizes at collection), from
the app's own ``openapi()``; the running app and its database only exist in the ``api`` fixture,
so schemathesis is given a stand-in ASGI app that forwards to whichever app the fixture started.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.types import ASGIApp, Receive, Scope, Send

from app.main import create_app
from tests.conftest import make_settings
from tests.databases import SqliteDatabases
from tests.helpers import PASSWORD, unique_name

SEED = 20261126
STATELESS_EXAMPLES = 40  # per operation and phase
STATEFUL_SCENARIOS = 80
STATEFUL_STEPS = 10

CONFIG: dict[str, Any] = {
    "seed": SEED,
    "generation": {
        "mode": "all",
        "max-examples": STATELESS_EXAMPLES,
        "deterministic": True,
        "database": "none",  # nothing kept between runs: the seed alone decides
    },
    "checks": {
        "enabled": True,
        # Replaced by `positive_data_acceptance_beyond_json_schema` below, and only for the rules
        # named there; every other refusal of schema-valid data still fails the run.
        "positive_data_acceptance": {"enabled": False},
    },
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
    },
}

# Rules of the spec that JSON Schema cannot state, so a schema-valid request may still break them:
# uniqueness among all accounts; tag limits counted after trimming and de-duplication; emails that
# `format: email` admits but mail cannot reach (reserved domains such as .test, IP literals,
# single-label domains), which email-validator refuses; and NUL, which no string may hold
# (PostgreSQL cannot store it). A 422 naming only these is the spec at work.
RULES_BEYOND_JSON_SCHEMA = {
    "email is invalid",
    "email has already been taken",
    "username has already been taken",
    "tagList tags are at most 40 characters",
    "tagList tags can't contain control characters",
    "tagList at most 10 tags per article",
}
NUL_RULE = " can't contain the NUL character"


def _refused_only_for_rules_beyond_json_schema(response: schemathesis.Response) -> bool:
    if response.status_code != 422:
        return False
    messages = response.json()["errors"]["body"]
    return all(message in RULES_BEYOND_JSON_SCHEMA or message.endswith(NUL_RULE) for message in messages)


@schemathesis.check
def positive_data_acceptance_beyond_json_schema(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """schemathesis's ``positive_data_acceptance``, except for the spec's rules named above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _refused_only_for_rules_beyond_json_schema(response):
            return None
        raise


class RunningApp:
    """The ASGI app schemathesis calls: forwards to the app the ``api`` fixture started."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the api fixture is not active"
        await self.app(scope, receive, send)


RUNNING_APP = RunningApp()
schema = schemathesis.openapi.from_dict(
    # Building the app only declares its routes; nothing runs and no database is opened.
    create_app(make_settings("sqlite+aiosqlite:///unused.sqlite3")).openapi(),
    config=schemathesis.Config.from_dict(CONFIG),
)
schema.app = RUNNING_APP
CASES = {"stateless": 0, "stateful": 0}


@pytest.fixture(scope="module")
def token(
    request: pytest.FixtureRequest,
    sqlite_databases: SqliteDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Starts the app on a fresh SQLite database, rate limits off, and registers the fuzzer."""
    database_url = sqlite_databases.create_from_template(
        tmp_path_factory.mktemp("contract") / "conduit.sqlite3"
    )
    RUNNING_APP.app = create_app(make_settings(database_url, rate_limits_enabled=False))
    started = time.monotonic()
    try:
        with asgi.get_client(RUNNING_APP) as http:  # starts the lifespan, kept until shutdown below
            username = unique_name("fuzzer")
            user = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
            response = http.post("/api/users", json={"user": user})
            assert response.status_code == 201, response.text
            yield response.json()["user"]["token"]
    finally:
        asgi.shutdown_lifespans()
        RUNNING_APP.app = None
        summary = f"{CASES['stateless']} stateless and {CASES['stateful']} stateful cases"
        with request.config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
            print(f"\nschemathesis: {summary} in {time.monotonic() - started:.0f} s")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


@schema.parametrize()
def test_every_operation_honours_its_contract(case: schemathesis.Case, token: str) -> None:
    CASES["stateless"] += 1
    case.call_and_validate(headers=auth(token))


def test_sequences_of_operations_honour_the_contract(token: str) -> None:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": auth(token)}

        def after_call(self, response: schemathesis.Response, case: schemathesis.Case) -> None:
            CASES["stateful"] += 1

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
