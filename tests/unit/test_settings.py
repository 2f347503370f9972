"""The settings schema: environments, the rules that keep unsafe values out of staging and production,
CORS origins, supported database URLs, and the test environment's cheaper password hashing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config import AppEnv, load_settings
from config.settings import DEFAULT_DATABASE_URL, DEVELOPMENT_JWT_SECRET, MIN_JWT_SECRET_LENGTH

STRONG_SECRET = "s" * MIN_JWT_SECRET_LENGTH
POSTGRES_URL = "postgresql+asyncpg://conduit:secret@db.internal/conduit"
SETTINGS_VARIABLES = ["APP_ENV", "DATABASE_URL", "JWT_SECRET", "CORS_ORIGINS", "PASSWORD_HASH_TIME_COST"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: the suite itself runs with APP_ENV=test, a CI runner may set more."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)


# --- APP_ENV ------------------------------------------------------------------------------------


def test_the_environment_defaults_to_development() -> None:
    assert load_settings().app_env is AppEnv.DEVELOPMENT


@pytest.mark.parametrize("value", ["development", "test", "staging", "production"])
def test_app_env_accepts_each_known_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("APP_ENV", value)

    settings = load_settings(jwt_secret=STRONG_SECRET, database_url=POSTGRES_URL)

    assert settings.app_env == value


@pytest.mark.parametrize("value", ["prod", "dev", ""])
def test_an_unknown_app_env_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("APP_ENV", value)

    with pytest.raises(ValidationError, match="app_env"):
        load_settings()


# --- staging and production refuse unsafe values ------------------------------------------------


@pytest.mark.parametrize("env", ["staging", "production"])
@pytest.mark.parametrize("secret", [DEVELOPMENT_JWT_SECRET, "s" * (MIN_JWT_SECRET_LENGTH - 1)])
def test_production_like_environments_refuse_a_default_or_short_jwt_secret(env: str, secret: str) -> None:
    with pytest.raises(ValidationError, match=f"JWT_SECRET must be set .* when APP_ENV={env}"):
        load_settings(app_env=env, jwt_secret=secret, database_url=POSTGRES_URL)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_production_like_environments_refuse_the_default_jwt_secret_when_none_is_set(env: str) -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET must be set"):
        load_settings(app_env=env, database_url=POSTGRES_URL)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_production_like_environments_require_an_explicit_database_url(env: str) -> None:
    with pytest.raises(ValidationError, match=f"DATABASE_URL must be set explicitly when APP_ENV={env}"):
        load_settings(app_env=env, jwt_secret=STRONG_SECRET)


def test_production_accepts_a_strong_secret_and_a_database_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", STRONG_SECRET)
    monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)

    settings = load_settings()

    assert settings.is_production_like
    assert settings.jwt_secret.get_secret_value() == STRONG_SECRET
    assert settings.database_url == POSTGRES_URL


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_test_run_with_the_defaults(env: str) -> None:
    settings = load_settings(app_env=env)

    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert not settings.is_production_like


def test_the_jwt_secret_is_hidden_from_reprs() -> None:
    settings = load_settings(jwt_secret=STRONG_SECRET)

    assert STRONG_SECRET not in repr(settings)
    assert STRONG_SECRET not in str(settings.model_dump())


# --- CORS origins -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("https://conduit.example", ["https://conduit.example"]),
        (
            " https://conduit.example , http://localhost:3000,,",
            ["https://conduit.example", "http://localhost:3000"],
        ),
        ("", []),
    ],
)
def test_cors_origins_are_read_as_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch, value: str, origins: list[str]
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)

    assert load_settings().cors_origins == origins


def test_cors_origins_default_to_none() -> None:
    assert load_settings().cors_origins == []


# DECISIONS: never `*` together with credentials.
@pytest.mark.parametrize("value", ["*", "https://conduit.example, *"])
def test_a_wildcard_cors_origin_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)

    with pytest.raises(ValidationError, match="CORS_ORIGINS must list explicit origins"):
        load_settings()


def test_a_wildcard_cors_origin_is_refused_as_an_override_too() -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS must list explicit origins"):
        load_settings(cors_origins=["*"])


# --- DATABASE_URL -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite+aiosqlite:///./var/other.sqlite3", POSTGRES_URL])
def test_async_sqlite_and_postgresql_urls_are_supported(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)

    settings = load_settings()

    assert settings.database_url == url
    assert settings.is_sqlite is url.startswith("sqlite")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://conduit@db.internal/conduit",
        "postgresql+psycopg://conduit@db.internal/conduit",
        "sqlite:///./var/conduit.sqlite3",
        "mysql+aiomysql://conduit@db.internal/conduit",
        "not a url",
    ],
)
def test_an_unsupported_database_url_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL must use"):
        load_settings(database_url=url)


# --- password hashing cost ----------------------------------------------------------------------


def test_the_test_environment_lowers_the_argon2_cost() -> None:
    settings = load_settings(app_env="test")

    assert (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    ) == (1, 1024, 1)


def test_other_environments_keep_the_full_argon2_cost() -> None:
    settings = load_settings(app_env="development")

    assert (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    ) == (3, 65536, 4)


def test_an_explicit_argon2_cost_wins_in_the_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "2")

    settings = load_settings(app_env="test", password_hash_memory_kib=2048)

    assert (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    ) == (2, 2048, 1)
