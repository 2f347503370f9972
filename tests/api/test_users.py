"""Accounts over the API: registration, login, the current user, its update, and how credentials are read.

Covers ``POST /api/users``, ``POST /api/users/login``, ``GET /api/user`` and ``PUT /api/user``, plus the
``Authorization`` header rulings, which also hold on endpoints where authentication is optional.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.main import create_app
from app.services.context import AppContext
from tests.conftest import TEST_JWT_SECRET, make_settings
from tests.helpers import PASSWORD, auth, register, unique_name

USER_KEYS = {"email", "token", "username", "bio", "image"}
USERNAME_CHARSET = "may only contain letters, digits, '_', '-' and '.'"
MISSING = object()  # a row value meaning "leave the field out of the request"

# For input that is refused before any query runs, one engine is enough (and keeps the suite fast).
on_sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# PostgreSQL text cannot hold NUL characters, so no field of any request may contain one (422 on
# every engine, refused before any query runs).
NUL_PROBLEM = "can't contain the NUL character"


def field_error(field: str, problem: str) -> dict[str, Any]:
    """The exact 422 body for one problem with one field."""
    return {"errors": {"body": [f"{field} {problem}"], field: [problem]}}


def auth_error(message: str) -> dict[str, Any]:
    return {"errors": {"body": [message]}}


def new_user(**fields: object) -> dict[str, Any]:
    name = unique_name()
    user: dict[str, object] = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    user.update(fields)
    return {"user": {key: value for key, value in user.items() if value is not MISSING}}


def user_id_of(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["sub"])


def session_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


def forge_token(
    user_id: int,
    session_id: str = "",
    *,
    secret: str = TEST_JWT_SECRET,
    algorithm: str = "HS256",
    expires_in: timedelta = timedelta(hours=1),
    before_sessions: bool = False,
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": str(user_id), "sid": session_id, "iat": now, "exp": now + expires_in}
    if before_sessions:  # as issued before migration 0007: a credentials version, no session
        del claims["sid"]
        claims["ver"] = 0
    return jwt.encode(claims, secret if algorithm != "none" else None, algorithm=algorithm)


def tamper(token: str, user_id: int) -> str:
    """The token with its claims swapped for another user's, keeping the original signature."""
    header, _claims, signature = token.split(".")
    _, forged_claims, _ = forge_token(user_id, session_of(token)).split(".")
    return f"{header}.{forged_claims}.{signature}"


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/users/login", json={"user": {"email": email, "password": password}})


async def update(client: httpx.AsyncClient, token: str, **fields: object) -> httpx.Response:
    return await client.put("/api/user", json={"user": fields}, headers=auth(token))


# --- registration -------------------------------------------------------------------------------


async def test_registration_returns_the_new_user_with_a_working_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/users", json={"user": {"username": "jake", "email": "jake@jake.jake", "password": PASSWORD}}
    )

    assert response.status_code == 201
    user = response.json()["user"]
    assert set(user) == USER_KEYS
    assert user | {"token": None} == {
        "email": "jake@jake.jake",
        "token": None,
        "username": "jake",
        "bio": None,
        "image": None,
    }
    current = await client.get("/api/user", headers=auth(user["token"]))
    assert current.status_code == 200
    assert current.json()["user"]["username"] == "jake"


# DECISIONS: emails are validated and stored lower-cased.
async def test_registration_stores_the_email_lower_cased(
    client: httpx.AsyncClient, context: AppContext
) -> None:
    user = await register(client, "jake", email="Jake.Doe@Example.COM")

    async def stored_email(session: AsyncSession) -> str | None:
        return await session.scalar(select(User.email).where(User.username == "jake"))

    assert user["email"] == "jake.doe@example.com"
    assert await context.db.read(stored_email) == "jake.doe@example.com"


# DECISIONS: usernames are 1 to 32 letters, digits, '_', '-' and '.', shown as typed.
@pytest.mark.parametrize("username", ["j", "J" * 32, "Jake.Doe_99-x", "0123", "-_."])
async def test_registration_accepts_usernames_of_letters_digits_and_separators(
    client: httpx.AsyncClient, username: str
) -> None:
    response = await client.post("/api/users", json=new_user(username=username))

    assert response.status_code == 201, response.text
    assert response.json()["user"]["username"] == username


@on_sqlite_only
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("username", MISSING, "can't be blank"),
        ("username", "", "can't be blank"),
        ("username", "   ", USERNAME_CHARSET),
        ("username", "j" * 33, "is too long (maximum is 32 characters)"),
        ("username", 42, "must be a string"),
        ("username", None, "can't be blank"),
        ("username", "jake doe", USERNAME_CHARSET),
        ("username", "jake/doe", USERNAME_CHARSET),
        ("username", "jake@doe", USERNAME_CHARSET),
        # Usernames go into URL paths: letters means ASCII letters.
        ("username", "jäke", USERNAME_CHARSET),
        ("username", ".", USERNAME_CHARSET),
        ("username", "..", USERNAME_CHARSET),
        ("email", MISSING, "can't be blank"),
        ("email", "", "is invalid"),
        ("email", "jake", "is invalid"),
        ("email", "jake@", "is invalid"),
        ("email", "j" * 64 + "@" + ".".join(["e" * 63] * 4) + ".com", "is invalid"),
        ("email", 42, "must be a string"),
        ("password", MISSING, "can't be blank"),
        ("password", "", "is too short (minimum is 8 characters)"),
        ("password", "1234567", "is too short (minimum is 8 characters)"),
        ("password", "p" * 257, "is too long (maximum is 256 characters)"),
        ("password", 12345678, "must be a string"),
    ],
)
async def test_registration_refuses_an_invalid_field(
    client: httpx.AsyncClient, field: str, value: object, problem: str
) -> None:
    response = await client.post("/api/users", json=new_user(**{field: value}))

    assert response.status_code == 422
    assert response.json() == field_error(field, problem)


@on_sqlite_only
@pytest.mark.parametrize(
    ("payload", "field", "problem"),
    [({}, "user", "can't be blank"), ({"user": "jake"}, "user", "must be an object")],
)
async def test_registration_refuses_a_body_without_a_user_object(
    client: httpx.AsyncClient, payload: dict[str, Any], field: str, problem: str
) -> None:
    response = await client.post("/api/users", json=payload)

    assert response.status_code == 422
    assert response.json() == field_error(field, problem)


# DECISIONS: usernames are unique case-insensitively; a taken username is 422, never 409.
async def test_a_username_taken_in_another_case_is_refused(client: httpx.AsyncClient) -> None:
    await register(client, "Jake")

    response = await client.post("/api/users", json=new_user(username="jAKE"))

    assert response.status_code == 422
    assert response.json() == field_error("username", "has already been taken")


# DECISIONS: a taken email is 422 with the field key, exactly like the example in the ruling.
async def test_a_taken_email_is_refused_whatever_its_case(client: httpx.AsyncClient) -> None:
    await register(client, email="jake@example.com")

    response = await client.post("/api/users", json=new_user(email="JAKE@Example.com"))

    assert response.status_code == 422
    assert response.json() == {
        "errors": {"body": ["email has already been taken"], "email": ["has already been taken"]}
    }


async def test_a_taken_username_and_email_are_both_reported(client: httpx.AsyncClient) -> None:
    await register(client, "jake", email="jake@example.com")

    response = await client.post("/api/users", json=new_user(username="JAKE", email="jake@example.com"))

    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "body": ["email has already been taken", "username has already been taken"],
            "email": ["has already been taken"],
            "username": ["has already been taken"],
        }
    }


async def test_registration_is_forbidden_while_registration_is_closed(database_url: str) -> None:
    application = create_app(make_settings(database_url, registration_enabled=False))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/api/users", json=new_user())

    assert response.status_code == 403
    assert response.json() == {"errors": {"body": ["registration is closed"]}}


# --- passwords ----------------------------------------------------------------------------------

LONGEST_PASSWORD = ("pässwörd 🔑 ключ " * 20)[:256]


# DECISIONS: passwords are 8 to 256 characters of any Unicode.
@pytest.mark.parametrize(
    "password", ["12345678", "        ", "パスワードは秘密です", "🔑🔒🗝️🔐🔏🔓🔑🔒", LONGEST_PASSWORD]
)
async def test_any_unicode_password_of_8_to_256_characters_logs_in(
    client: httpx.AsyncClient, password: str
) -> None:
    user = await register(client, password=password)

    response = await login(client, user["email"], password)

    assert response.status_code == 200


# DECISIONS: passwords are never truncated.
async def test_a_256_character_password_is_not_truncated(client: httpx.AsyncClient) -> None:
    assert len(LONGEST_PASSWORD) == 256
    user = await register(client, password=LONGEST_PASSWORD)

    response = await login(client, user["email"], LONGEST_PASSWORD[:255])

    assert response.status_code == 401


async def test_whitespace_around_a_password_is_part_of_it(client: httpx.AsyncClient) -> None:
    user = await register(client, password="  padded password  ")

    response = await login(client, user["email"], "padded password")

    assert response.status_code == 401


# --- login --------------------------------------------------------------------------------------


async def test_login_returns_the_user_with_a_working_token(client: httpx.AsyncClient) -> None:
    registered = await register(client, "jake")

    response = await login(client, registered["email"], PASSWORD)

    assert response.status_code == 200
    user = response.json()["user"]
    assert set(user) == USER_KEYS
    assert (user["username"], user["email"], user["bio"], user["image"]) == (
        "jake",
        "jake@example.com",
        None,
        None,
    )
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200


async def test_login_finds_the_email_whatever_its_case(client: httpx.AsyncClient) -> None:
    await register(client, email="jake@example.com")

    response = await login(client, "JAKE@Example.com", PASSWORD)

    assert response.status_code == 200


async def test_a_wrong_password_and_an_unknown_email_get_the_same_401(client: httpx.AsyncClient) -> None:
    user = await register(client)

    wrong_password = await login(client, user["email"], "not the password")
    unknown_email = await login(client, "nobody@example.com", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json() == auth_error("email or password is invalid")


@on_sqlite_only
@pytest.mark.parametrize(
    ("credentials", "field", "problem"),
    [
        ({"password": PASSWORD}, "email", "can't be blank"),
        ({"email": "", "password": PASSWORD}, "email", "can't be blank"),
        ({"email": "jake@example.com"}, "password", "can't be blank"),
        ({"email": "jake@example.com", "password": ""}, "password", "can't be blank"),
        (
            {"email": "jake@example.com", "password": "p" * 257},
            "password",
            "is too long (maximum is 256 characters)",
        ),
    ],
)
async def test_login_refuses_missing_or_oversized_credentials(
    client: httpx.AsyncClient, credentials: dict[str, str], field: str, problem: str
) -> None:
    response = await client.post("/api/users/login", json={"user": credentials})

    assert response.status_code == 422
    assert response.json() == field_error(field, problem)


async def test_a_login_with_a_nul_character_in_the_email_is_refused(client: httpx.AsyncClient) -> None:
    response = await login(client, "jake\x00@example.com", PASSWORD)

    assert response.status_code == 422
    assert response.json() == field_error("email", NUL_PROBLEM)


# DECISIONS: 429 with Retry-After after too many failed logins from one client.
@on_sqlite_only
async def test_repeated_failed_logins_are_throttled_with_retry_after(client: httpx.AsyncClient) -> None:
    user = await register(client)

    statuses = [(await login(client, user["email"], f"wrong password {n}")).status_code for n in range(50)]

    assert 429 in statuses
    throttled = await login(client, user["email"], "wrong password again")
    assert throttled.status_code == 429
    assert set(throttled.json()["errors"]) == {"body"}
    assert int(throttled.headers["Retry-After"]) > 0


# --- the current user ---------------------------------------------------------------------------


async def test_the_current_user_is_returned_for_a_valid_token(client: httpx.AsyncClient) -> None:
    registered = await register(client, "jake")

    response = await client.get("/api/user", headers=auth(registered["token"]))

    assert response.status_code == 200
    user = response.json()["user"]
    assert set(user) == USER_KEYS
    assert user | {"token": None} == registered | {"token": None}


async def test_the_current_user_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/user")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == auth_error("authentication required")


# --- the Authorization header -------------------------------------------------------------------

BAD_SCHEME = "authorization header must be 'Token <jwt>'"
BAD_TOKEN = "token is invalid or expired"
STALE_TOKEN = "token is no longer valid"

OPTIONAL_AUTH_ENDPOINTS = ["/api/articles", "/api/profiles/{username}"]

# Each builds an Authorization header from the user's real token and id.
BAD_CREDENTIALS: dict[str, tuple[Callable[[str, int], str], str]] = {
    "basic scheme": (lambda token, _id: f"Basic {token}", BAD_SCHEME),
    "jwt scheme": (lambda token, _id: f"JWT {token}", BAD_SCHEME),
    "no scheme": (lambda token, _id: token, BAD_SCHEME),
    "scheme without token": (lambda _token, _id: "Token ", BAD_SCHEME),
    "not a jwt": (lambda _token, _id: "Token not-a-jwt", BAD_TOKEN),
    "tampered payload": (lambda token, id_: f"Token {tamper(token, id_ + 1)}", BAD_TOKEN),
    "other secret": (lambda t, id_: f"Token {forge_token(id_, session_of(t), secret='x' * 64)}", BAD_TOKEN),
    "alg none": (lambda t, id_: f"Token {forge_token(id_, session_of(t), algorithm='none')}", BAD_TOKEN),
    "hs384": (lambda t, id_: f"Token {forge_token(id_, session_of(t), algorithm='HS384')}", BAD_TOKEN),
    "expired": (
        lambda t, id_: f"Token {forge_token(id_, session_of(t), expires_in=timedelta(seconds=-1))}",
        BAD_TOKEN,
    ),
    "from before sessions": (lambda _t, id_: f"Token {forge_token(id_, before_sessions=True)}", BAD_TOKEN),
    "unknown session": (lambda _t, id_: f"Token {forge_token(id_, 'no-such-session')}", STALE_TOKEN),
    "another user's session": (lambda t, id_: f"Token {forge_token(id_ + 1000, session_of(t))}", STALE_TOKEN),
    "id beyond any database id": (lambda t, _id: f"Token {forge_token(2**63, session_of(t))}", BAD_TOKEN),
}


# DECISIONS: `Token <jwt>` and `Bearer <jwt>` are both accepted.
@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "BEARER"])
async def test_token_and_bearer_schemes_are_accepted(client: httpx.AsyncClient, scheme: str) -> None:
    user = await register(client)

    response = await client.get("/api/user", headers={"Authorization": f"{scheme} {user['token']}"})

    assert response.status_code == 200
    assert response.json()["user"]["username"] == user["username"]


async def test_a_token_forged_with_the_right_secret_and_claims_is_accepted(client: httpx.AsyncClient) -> None:
    # Proves the forged tokens below fail for the one reason each row names, not for a detail of forging.
    user = await register(client)

    forged = forge_token(user_id_of(user["token"]), session_of(user["token"]))
    response = await client.get("/api/user", headers=auth(forged))

    assert response.status_code == 200


async def get_with_bad_credentials(
    client: httpx.AsyncClient, endpoint: str, credentials: str
) -> httpx.Response:
    user = await register(client)
    header, _message = BAD_CREDENTIALS[credentials]
    return await client.get(
        endpoint.format(username=user["username"]),
        headers={"Authorization": header(user["token"], user_id_of(user["token"]))},
    )


# DECISIONS: other schemes, a bad signature, `alg: none` and expired tokens are 401.
@pytest.mark.parametrize("credentials", BAD_CREDENTIALS, ids=str)
async def test_bad_credentials_are_401(client: httpx.AsyncClient, credentials: str) -> None:
    response = await get_with_bad_credentials(client, "/api/user", credentials)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == auth_error(BAD_CREDENTIALS[credentials][1])


# DECISIONS: bad credentials are 401 also on endpoints where auth is optional (never read as anonymous).
@pytest.mark.parametrize("endpoint", OPTIONAL_AUTH_ENDPOINTS)
@pytest.mark.parametrize(
    "credentials", ["basic scheme", "tampered payload", "alg none", "expired", "unknown session"]
)
async def test_bad_credentials_are_401_where_auth_is_optional(
    client: httpx.AsyncClient, endpoint: str, credentials: str
) -> None:
    response = await get_with_bad_credentials(client, endpoint, credentials)

    assert response.status_code == 401
    assert response.json() == auth_error(BAD_CREDENTIALS[credentials][1])


# DECISIONS: the token of a deleted user is 401, also where auth is optional.
@pytest.mark.parametrize("endpoint", ["/api/user", *OPTIONAL_AUTH_ENDPOINTS])
async def test_the_token_of_a_deleted_user_is_401(
    client: httpx.AsyncClient, context: AppContext, endpoint: str
) -> None:
    other = await register(client)
    deleted = await register(client)

    async def delete_user(session: AsyncSession) -> None:
        await session.execute(delete(User).where(User.username == deleted["username"]))

    await context.db.write(delete_user)

    response = await client.get(endpoint.format(username=other["username"]), headers=auth(deleted["token"]))

    assert response.status_code == 401
    assert response.json() == auth_error(STALE_TOKEN)


# --- updating the current user ------------------------------------------------------------------


async def test_an_update_changes_only_the_given_fields(client: httpx.AsyncClient) -> None:
    user = await register(client, "jake")
    await update(client, user["token"], bio="I work at statefarm")

    response = await update(client, user["token"], image="https://example.com/jake.png")

    assert response.status_code == 200
    expected = {
        "email": "jake@example.com",
        "username": "jake",
        "bio": "I work at statefarm",
        "image": "https://example.com/jake.png",
    }
    assert response.json()["user"] | {"token": None} == expected | {"token": None}
    stored = (await client.get("/api/user", headers=auth(user["token"]))).json()["user"]
    assert stored | {"token": None} == expected | {"token": None}


async def test_an_empty_update_changes_nothing(client: httpx.AsyncClient) -> None:
    user = await register(client, "jake")

    response = await update(client, user["token"])

    assert response.status_code == 200
    assert response.json()["user"] | {"token": None} == user | {"token": None}


async def test_an_update_can_change_username_and_email(client: httpx.AsyncClient) -> None:
    user = await register(client, "jake")

    response = await update(client, user["token"], username="Jacob", email="Jacob@Example.com")

    assert response.status_code == 200
    assert (response.json()["user"]["username"], response.json()["user"]["email"]) == (
        "Jacob",
        "jacob@example.com",
    )
    assert (await login(client, "jacob@example.com", PASSWORD)).status_code == 200
    assert (await client.get("/api/profiles/jacob")).json()["profile"]["username"] == "Jacob"


async def test_users_may_change_the_case_of_their_own_username(client: httpx.AsyncClient) -> None:
    user = await register(client, "jake")

    response = await update(client, user["token"], username="JAKE", email="jake@example.com")

    assert response.status_code == 200
    assert response.json()["user"]["username"] == "JAKE"


# DECISIONS: the update response always carries a valid token.
async def test_the_update_response_carries_a_valid_token(client: httpx.AsyncClient) -> None:
    user = await register(client)

    token = (await update(client, user["token"], bio="hello")).json()["user"]["token"]

    assert (await client.get("/api/user", headers=auth(token))).status_code == 200


# DECISIONS: `null` or "" clears bio and image.
@pytest.mark.parametrize("field", ["bio", "image"])
@pytest.mark.parametrize("empty", [None, ""])
async def test_null_or_an_empty_string_clears_bio_and_image(
    client: httpx.AsyncClient, field: str, empty: str | None
) -> None:
    user = await register(client)
    await update(client, user["token"], bio="hello", image="https://example.com/me.png")

    response = await update(client, user["token"], **{field: empty})

    assert response.status_code == 200
    cleared = {"bio": "hello", "image": "https://example.com/me.png", field: None}
    assert {key: response.json()["user"][key] for key in ("bio", "image")} == cleared


# DECISIONS: bio up to 4,000 characters; image an http(s) URL up to 2,000 characters.
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bio", "b" * 4000),
        ("bio", "Ünïcödé bio ✓\nwith lines"),
        ("image", "https://example.com/" + "a" * 1980),
        ("image", "http://example.com/avatar.png"),
        ("image", "HTTPS://EXAMPLE.COM/A.PNG"),
    ],
)
async def test_an_update_accepts_a_bio_or_image_up_to_the_limit(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    user = await register(client)

    response = await update(client, user["token"], **{field: value})

    assert response.status_code == 200
    assert response.json()["user"][field] == value


@on_sqlite_only
@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("bio", "b" * 4001, "is too long (maximum is 4000 characters)"),
        ("bio", 42, "must be a string"),
        ("image", "https://example.com/" + "a" * 1981, "is too long (maximum is 2000 characters)"),
        ("image", "ftp://example.com/me.png", "must be an http(s) URL"),
        ("image", "javascript:alert(1)", "must be an http(s) URL"),
        ("image", "example.com/me.png", "must be an http(s) URL"),
        ("image", "https://", "must be an http(s) URL"),
        ("image", "https://example.com/a b.png", "must be an http(s) URL"),
        ("username", None, "can't be blank"),
        ("username", "", "can't be blank"),
        ("username", "j" * 33, "is too long (maximum is 32 characters)"),
        ("username", "jake doe", USERNAME_CHARSET),
        ("email", None, "can't be blank"),
        ("email", "jake", "is invalid"),
        ("password", None, "can't be blank"),
        ("password", "1234567", "is too short (minimum is 8 characters)"),
        ("password", "p" * 257, "is too long (maximum is 256 characters)"),
    ],
)
async def test_an_update_refuses_an_invalid_field(
    client: httpx.AsyncClient, field: str, value: object, problem: str
) -> None:
    user = await register(client)

    response = await update(client, user["token"], **{field: value})

    assert response.status_code == 422
    assert response.json() == field_error(field, problem)
    unchanged = (await client.get("/api/user", headers=auth(user["token"]))).json()["user"]
    assert unchanged | {"token": None} == user | {"token": None}


@pytest.mark.parametrize(
    ("field", "value"),
    [("bio", "nul\x00byte"), ("image", "https://example.com/\x00.png"), ("password", "pass\x00word")],
)
async def test_an_update_refuses_a_nul_character(client: httpx.AsyncClient, field: str, value: str) -> None:
    user = await register(client)

    response = await update(client, user["token"], **{field: value})

    assert response.status_code == 422
    assert response.json() == field_error(field, NUL_PROBLEM)


# DECISIONS: username and email stay unique on update (422 on a clash).
@pytest.mark.parametrize(("field", "value"), [("username", "TAKEN"), ("email", "Taken@Example.com")])
async def test_an_update_refuses_a_username_or_email_of_someone_else(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    await register(client, "taken", email="taken@example.com")
    user = await register(client)

    response = await update(client, user["token"], **{field: value})

    assert response.status_code == 422
    assert response.json() == field_error(field, "has already been taken")


async def test_an_update_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/user", json={"user": {"bio": "hello"}})

    assert response.status_code == 401
    assert response.json() == auth_error("authentication required")


# DECISIONS: changing the password ends every other session; the caller's own goes on.
async def test_changing_the_password_ends_every_other_session(client: httpx.AsyncClient) -> None:
    user = await register(client)
    other_sessions = [
        (await login(client, user["email"], PASSWORD)).json()["user"]["token"] for _ in range(2)
    ]

    response = await update(client, user["token"], password="a brand new password")

    assert response.status_code == 200
    for old_token in other_sessions:
        stale = await client.get("/api/user", headers=auth(old_token))
        assert stale.status_code == 401
        assert stale.json() == auth_error(STALE_TOKEN)
    for token in (user["token"], response.json()["user"]["token"]):
        assert (await client.get("/api/user", headers=auth(token))).status_code == 200


async def test_after_a_password_change_only_the_new_password_logs_in(client: httpx.AsyncClient) -> None:
    user = await register(client)

    await update(client, user["token"], password="a brand new password")

    assert (await login(client, user["email"], PASSWORD)).status_code == 401
    assert (await login(client, user["email"], "a brand new password")).status_code == 200


# DECISIONS: sending the current password again is not a change.
async def test_resending_the_current_password_keeps_older_tokens_valid(client: httpx.AsyncClient) -> None:
    user = await register(client)

    response = await update(client, user["token"], password=PASSWORD)

    assert response.status_code == 200
    assert (await client.get("/api/user", headers=auth(user["token"]))).status_code == 200
    assert (await client.get("/api/user", headers=auth(response.json()["user"]["token"]))).status_code == 200
