"""The settings schema: environments, the rules that keep unsafe values out of staging and production,
CORS origins, allowed hosts, rate limits, the response cache, supported database and Redis URLs, and the test
environment's cheaper password hashing."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from config import AppEnv, load_settings
from config.settings import (
    DEFAULT_DATABASE_URL,
    DEVELOPMENT_JWT_SECRET,
    MIN_JWT_SECRET_LENGTH,
    describe_errors,
)

STRONG_SECRET = "s" * MIN_JWT_SECRET_LENGTH
POSTGRES_URL = "postgresql+asyncpg://conduit:secret@db.internal/conduit"
SETTINGS_VARIABLES = [
    "APP_ENV",
    "DATABASE_URL",
    "JWT_SECRET",
    "CORS_ORIGINS",
    "PASSWORD_HASH_TIME_COST",
    "ALLOWED_HOSTS",
    "REDIS_URL",
    "RATE_LIMITS_ENABLED",
    "RATE_LIMIT_FAILED_LOGINS",
    "RATE_LIMIT_REGISTRATIONS",
    "RATE_LIMIT_WRITES",
    "RESPONSE_CACHE_ENABLED",
    "RESPONSE_CACHE_TTL_SECONDS",
    "RESPONSE_CACHE_MAX_ENTRIES",
    "RESPONSE_CACHE_MAX_BODY_BYTES",
    "SQLITE_SYNCHRONOUS",
    "RESPONSE_CACHE_NOTICE_SECONDS",
    "EVENTS_MAX_STREAMS_PER_ADDRESS",
]


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

    settings = load_settings(
        jwt_secret=STRONG_SECRET, database_url=POSTGRES_URL, allowed_hosts="conduit.example"
    )

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
    monkeypatch.setenv("ALLOWED_HOSTS", "conduit.example")

    settings = load_settings()

    assert settings.is_production_like
    assert settings.jwt_secret.get_secret_value() == STRONG_SECRET
    assert settings.database_url == POSTGRES_URL
    assert settings.allowed_hosts == ["conduit.example"]


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


# --- allowed hosts ------------------------------------------------------------------------------

PRODUCTION = {"jwt_secret": STRONG_SECRET, "database_url": POSTGRES_URL}


def test_allowed_hosts_default_to_the_loopback_names() -> None:
    assert load_settings().allowed_hosts == ["localhost", "127.0.0.1", "testserver", "[::1]"]


def test_allowed_hosts_are_read_as_a_comma_separated_lower_cased_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", " Conduit.Example , *.example.com,,")

    assert load_settings().allowed_hosts == ["conduit.example", "*.example.com"]


@pytest.mark.parametrize("value", ["exa*mple.com", "*example.com", "**.example.com", "conduit.*", ",,"])
def test_host_patterns_other_than_a_name_or_a_leading_wildcard_are_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ALLOWED_HOSTS", value)

    with pytest.raises(ValidationError, match="ALLOWED_HOSTS"):
        load_settings()


@pytest.mark.parametrize("env", ["staging", "production"])
def test_production_like_environments_require_explicit_allowed_hosts(env: str) -> None:
    with pytest.raises(ValidationError, match=f"ALLOWED_HOSTS must be set explicitly when APP_ENV={env}"):
        load_settings(app_env=env, **PRODUCTION)


@pytest.mark.parametrize("value", ["*", "conduit.example,*"])
def test_production_refuses_a_bare_wildcard_host(value: str) -> None:
    with pytest.raises(ValidationError, match="ALLOWED_HOSTS must not be '\\*' when APP_ENV=production"):
        load_settings(app_env="production", allowed_hosts=value, **PRODUCTION)


def test_production_accepts_subdomain_wildcards() -> None:
    settings = load_settings(
        app_env="production", allowed_hosts="conduit.example,*.conduit.example", **PRODUCTION
    )

    assert settings.allowed_hosts == ["conduit.example", "*.conduit.example"]


# --- rate limits and Redis ----------------------------------------------------------------------


def test_rate_limits_are_on_by_default_in_process_memory() -> None:
    settings = load_settings(app_env="test")

    assert settings.rate_limits_enabled
    assert settings.redis_url is None
    assert (
        settings.rate_limit_failed_logins,
        settings.rate_limit_registrations,
        settings.rate_limit_writes,
    ) == ("10/minute", "20/hour", "300/minute")


def test_rate_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMITS_ENABLED", "false")
    monkeypatch.setenv("RATE_LIMIT_FAILED_LOGINS", "5/minute;20/hour")

    settings = load_settings()

    assert not settings.rate_limits_enabled
    assert settings.rate_limit_failed_logins == "5/minute;20/hour"


@pytest.mark.parametrize("value", ["ten per minute", "0/minute", "", "10/fortnight", "10/minute;"])
@pytest.mark.parametrize(
    "variable", ["RATE_LIMIT_FAILED_LOGINS", "RATE_LIMIT_REGISTRATIONS", "RATE_LIMIT_WRITES"]
)
def test_an_unreadable_or_empty_rate_limit_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError, match=variable.lower()):
        load_settings()


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "rediss://:secret@cache.internal:6380",
        "redis+unix:///run/redis.sock",
        "async+redis://r:6379",
    ],
)
def test_redis_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REDIS_URL", url)

    assert load_settings().redis_url == url


def test_an_empty_redis_url_means_no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "  ")

    assert load_settings().redis_url is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "memcached://127.0.0.1:11211", "127.0.0.1:6379"])
def test_a_non_redis_url_is_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REDIS_URL", url)

    with pytest.raises(ValidationError, match="REDIS_URL must use redis://"):
        load_settings()


# --- response cache -----------------------------------------------------------------------------


def test_the_response_cache_is_off_by_default_with_its_bounds() -> None:
    settings = load_settings(app_env="test")

    assert not settings.response_cache_enabled
    assert (
        settings.response_cache_ttl_seconds,
        settings.response_cache_max_entries,
        settings.response_cache_max_body_bytes,
    ) == (60, 1024, 262144)


def test_the_response_cache_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESPONSE_CACHE_ENABLED", "true")
    monkeypatch.setenv("RESPONSE_CACHE_TTL_SECONDS", "2.5")
    monkeypatch.setenv("RESPONSE_CACHE_MAX_ENTRIES", "10")
    monkeypatch.setenv("RESPONSE_CACHE_NOTICE_SECONDS", "1.5")

    settings = load_settings()

    assert settings.response_cache_enabled
    assert (settings.response_cache_ttl_seconds, settings.response_cache_max_entries) == (2.5, 10)
    assert settings.response_cache_notice_seconds == 1.5


def test_writers_notice_a_caching_process_within_3_seconds_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "development")

    assert load_settings().response_cache_notice_seconds == 3.0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RESPONSE_CACHE_TTL_SECONDS", "0"),
        ("RESPONSE_CACHE_TTL_SECONDS", "-1"),
        ("RESPONSE_CACHE_MAX_ENTRIES", "0"),
        ("RESPONSE_CACHE_MAX_BODY_BYTES", "100"),
        ("RESPONSE_CACHE_ENABLED", "maybe"),
        ("RESPONSE_CACHE_NOTICE_SECONDS", "0"),
        ("RESPONSE_CACHE_NOTICE_SECONDS", "61"),
    ],
)
def test_a_response_cache_setting_out_of_bounds_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError, match=variable.lower()):
        load_settings()


# --- SQLite durability -------------------------------------------------------------------------


def test_sqlite_syncs_every_commit_by_default() -> None:
    assert load_settings().sqlite_synchronous == "FULL"


@pytest.mark.parametrize(("value", "level"), [("FULL", "FULL"), ("normal", "NORMAL"), (" Normal ", "NORMAL")])
def test_sqlite_synchronous_is_read_in_any_case(
    monkeypatch: pytest.MonkeyPatch, value: str, level: str
) -> None:
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", value)

    assert load_settings().sqlite_synchronous == level


@pytest.mark.parametrize("value", ["OFF", "EXTRA", "1", ""])
def test_other_sqlite_synchronous_levels_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", value)

    with pytest.raises(ValidationError, match="sqlite_synchronous"):
        load_settings()


# --- errors never quote a secret ----------------------------------------------------------------

PRODUCTION_WITH_SECRETS = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql+asyncpg://conduit:pg-password-in-url@db.internal/conduit",
    "REDIS_URL": "redis://:redis-password-in-url@cache.internal:6379/0",
    "ALLOWED_HOSTS": "conduit.example",
}
SECRETS = ("short-jwt-secret", "pg-password-in-url", "redis-password-in-url")


@pytest.mark.parametrize(
    ("invalid", "expected"),
    [
        # A rule of the whole model: pydantic's message quoted every value it was given.
        (
            {"JWT_SECRET": "short-jwt-secret"},
            ["JWT_SECRET must be set to a random value of at least 32 characters when APP_ENV=production"],
        ),
        # Fields that carry a secret, and one that does not.
        (
            {
                "JWT_SECRET": STRONG_SECRET,
                "DATABASE_URL": "mysql://conduit:pg-password-in-url@db.internal/conduit",
                "REDIS_URL": "http://:redis-password-in-url@cache.internal:6379/0",
                "DB_POOL_SIZE": "short-jwt-secret",
            },
            [
                "DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://",
                "DB_POOL_SIZE: Input should be a valid integer, unable to parse string as an integer",
                "REDIS_URL must use redis://, rediss:// or redis+unix://",
            ],
        ),
    ],
)
def test_a_settings_error_names_each_invalid_variable_and_quotes_no_value(
    monkeypatch: pytest.MonkeyPatch, invalid: dict[str, str], expected: list[str]
) -> None:
    for variable, value in {**PRODUCTION_WITH_SECRETS, **invalid}.items():
        monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError) as caught:
        load_settings()

    shown = f"{caught.value}\n{caught.value!r}\n" + "\n".join(describe_errors(caught.value))
    for secret in SECRETS:
        assert secret not in shown
    assert describe_errors(caught.value) == expected


def test_anonymous_event_streams_are_capped_per_client_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENTS_MAX_STREAMS_PER_ADDRESS", raising=False)
    assert load_settings().events_max_streams_per_address == 20

    monkeypatch.setenv("EVENTS_MAX_STREAMS_PER_ADDRESS", "3")
    assert load_settings().events_max_streams_per_address == 3


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_an_event_stream_cap_per_address_that_is_not_a_positive_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("EVENTS_MAX_STREAMS_PER_ADDRESS", value)

    with pytest.raises(ValidationError, match="events_max_streams_per_address"):
        load_settings()
