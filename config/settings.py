"""The settings schema.

Every value comes from the environment (no ``.env`` files: secrets are never stored in the tree).
Defaults are tuned per ``APP_ENV``; staging and production refuse to start with unsafe ones.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from limits import parse_many
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-in-production"  # noqa: S105 - refused outside dev/test
MIN_JWT_SECRET_LENGTH = 32
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/conduit.sqlite3"
# Development and test answer on the loopback names only (and httpx's and Starlette's "testserver").
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "testserver", "[::1]")
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")


class EventsBackend(StrEnum):
    AUTO = "auto"  # PostgreSQL LISTEN/NOTIFY on PostgreSQL, in-process on SQLite
    MEMORY = "memory"
    POSTGRES = "postgres"


class SqliteSynchronous(StrEnum):
    """How SQLite syncs commits to disk (``PRAGMA synchronous``; the journal is always WAL)."""

    FULL = "FULL"  # every commit is on disk before it is acknowledged
    NORMAL = "NORMAL"  # faster; the last commits before a power loss or OS crash can be lost


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    JSON = "json"  # one object per line, for log collectors
    TEXT = "text"  # for people reading a terminal


def _default_log_format(values: dict[str, object]) -> LogFormat:
    production_like = values.get("app_env") in (AppEnv.STAGING, AppEnv.PRODUCTION)
    return LogFormat.JSON if production_like else LogFormat.TEXT


class Settings(BaseSettings):
    """All configuration of a Conduit process. Field names map to upper-case environment variables."""

    # ``hide_input_in_errors``: a validation error would otherwise quote the values it was given (for
    # an error of the whole model, all of them: JWT_SECRET, the passwords in DATABASE_URL and
    # REDIS_URL) in its message, and so in every traceback and log line that shows it.
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    app_env: AppEnv = AppEnv.DEVELOPMENT

    # --- database -------------------------------------------------------------------------------
    database_url: str = DEFAULT_DATABASE_URL
    # Enough for a busy process's concurrent requests; overflow connections are closed again when
    # returned, and opening one per request under sustained load costs more than waiting for one.
    db_pool_size: int = Field(default=20, ge=1, le=1000)
    db_max_overflow: int = Field(default=0, ge=0, le=1000)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    # A pre-ping costs three round trips per checkout on asyncpg; connections the server closed
    # are detected without one (see app/db/engine.py), so it is only for networks that drop silently.
    db_pool_pre_ping: bool = False
    db_statement_timeout_ms: int = Field(default=5000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(default=10000, ge=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    # FULL: a commit the app acknowledged (a 2xx) survives a power loss. With WAL, NORMAL syncs only
    # at checkpoints, so the last acknowledged commits could be lost; only for data that can be.
    sqlite_synchronous: SqliteSynchronous = SqliteSynchronous.FULL
    db_retry_attempts: int = Field(default=3, ge=1, le=20)
    db_echo: bool = False

    # --- auth -----------------------------------------------------------------------------------
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_lifetime_seconds: int = Field(default=14 * 24 * 3600, ge=60)
    # argon2id cost; the test environment lowers it so the suite does not spend minutes hashing.
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    password_hash_parallelism: int = Field(default=4, ge=1)

    # --- HTTP -----------------------------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # --- observability --------------------------------------------------------------------------
    log_level: str = "INFO"
    log_format: LogFormat = Field(default_factory=_default_log_format)  # json in staging/production
    metrics_enabled: bool = True  # serve Prometheus metrics at /metrics

    # --- live updates (server-sent events) -------------------------------------------------------
    events_backend: EventsBackend = EventsBackend.AUTO
    events_queue_size: int = Field(default=100, ge=1, le=100_000)  # per stream, then "resync"
    events_retention: int = Field(default=1000, ge=0, le=1_000_000)  # replayable with Last-Event-ID
    events_heartbeat_seconds: float = Field(default=10.0, gt=0, le=15.0)
    events_max_streams: int = Field(default=5000, ge=1)  # per process
    events_max_streams_per_user: int = Field(default=5, ge=1)
    events_max_streams_per_address: int = Field(default=20, ge=1)  # anonymous streams per client address

    # --- response cache (anonymous API reads; see app/api/response_cache.py) ------------------------
    response_cache_enabled: bool = False
    # Bounds how long a write made outside the app (a restore, a script) can go unseen.
    response_cache_ttl_seconds: float = Field(default=60.0, gt=0, le=24 * 3600)
    response_cache_max_entries: int = Field(default=1024, ge=1, le=1_000_000)  # per process
    response_cache_max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    # How soon every process's writes notice that some process caches (and raise the generation);
    # a caching process waits this long at start-up before serving from memory. See
    # app/db/cache_presence.py. The test environment shortens it.
    response_cache_notice_seconds: float = Field(default=3.0, ge=0.05, le=60.0)

    # --- abuse limits ---------------------------------------------------------------------------
    # Host headers this site answers (``*.example.com`` matches subdomains); staging and production
    # must list theirs explicitly, and never ``*``.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS))
    rate_limits_enabled: bool = True
    # Rate-limit counters live in Redis when set (shared by every process), else in each process.
    redis_url: str | None = None
    # ``limits`` notation ("10/minute", or several joined by ";"), all counted per client address.
    rate_limit_failed_logins: str = "10/minute"  # also per account email; successes never count
    rate_limit_registrations: str = "20/hour"  # every attempt counts, successful or not
    rate_limit_writes: str = "300/minute"  # POST/PUT/PATCH/DELETE, API and pages alike

    # --- feature flags --------------------------------------------------------------------------
    registration_enabled: bool = True
    docs_enabled: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_origin(cls, origins: list[str]) -> list[str]:
        # Our API accepts credentials; a wildcard origin together with credentials is never allowed.
        if "*" in origins:
            raise ValueError("CORS_ORIGINS must list explicit origins, not '*'")
        return origins

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _host_patterns(cls, hosts: list[str]) -> list[str]:
        hosts = [host.strip().lower() for host in hosts]
        if not hosts:
            raise ValueError("ALLOWED_HOSTS must list at least one host")
        for host in hosts:
            # The only wildcards Starlette's TrustedHostMiddleware understands: "*" and "*.domain".
            if host != "*" and "*" in host and not (host.startswith("*.") and "*" not in host[1:]):
                raise ValueError(f"ALLOWED_HOSTS: {host!r} is not a host name or a '*.domain' pattern")
        return hosts

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_redis_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str | None) -> str | None:
        if url is not None and not url.removeprefix("async+").startswith(REDIS_SCHEMES):
            raise ValueError("REDIS_URL must use redis://, rediss:// or redis+unix://")
        return url

    @field_validator("rate_limit_failed_logins", "rate_limit_registrations", "rate_limit_writes")
    @classmethod
    def _rate_limit_notation(cls, value: str) -> str:
        items = parse_many(value)  # ValueError names the string it could not read
        if any(item.amount < 1 for item in items):
            raise ValueError(f"rate limit {value!r} must allow at least one request")
        return value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _synchronous_in_any_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, level: str) -> str:
        if level.upper() not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
            raise ValueError("LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG")
        return level.upper()

    @field_validator("database_url")
    @classmethod
    def _supported_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("DATABASE_URL must use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return url

    @model_validator(mode="after")
    def _environment_rules(self) -> Settings:
        if self.app_env in (AppEnv.STAGING, AppEnv.PRODUCTION):
            secret = self.jwt_secret.get_secret_value()
            if secret == DEVELOPMENT_JWT_SECRET or len(secret) < MIN_JWT_SECRET_LENGTH:
                raise ValueError(
                    f"JWT_SECRET must be set to a random value of at least {MIN_JWT_SECRET_LENGTH} "
                    f"characters when APP_ENV={self.app_env.value}"
                )
            if "database_url" not in self.model_fields_set:
                raise ValueError(f"DATABASE_URL must be set explicitly when APP_ENV={self.app_env.value}")
        return self

    @model_validator(mode="after")
    def _allowed_hosts_are_explicit_in_production(self) -> Settings:
        if self.is_production_like:
            if "allowed_hosts" not in self.model_fields_set:
                raise ValueError(f"ALLOWED_HOSTS must be set explicitly when APP_ENV={self.app_env.value}")
            if "*" in self.allowed_hosts:
                raise ValueError(f"ALLOWED_HOSTS must not be '*' when APP_ENV={self.app_env.value}")
        return self

    @model_validator(mode="after")
    def _events_backend_fits_the_database(self) -> Settings:
        if self.events_backend is EventsBackend.POSTGRES and self.is_sqlite:
            raise ValueError("EVENTS_BACKEND=postgres needs a PostgreSQL DATABASE_URL")
        return self

    @property
    def uses_postgres_events(self) -> bool:
        return self.events_backend is EventsBackend.POSTGRES or (
            self.events_backend is EventsBackend.AUTO and not self.is_sqlite
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production_like(self) -> bool:
        return self.app_env in (AppEnv.STAGING, AppEnv.PRODUCTION)


_TEST_DEFAULTS = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 1024,
    "password_hash_parallelism": 1,
    "response_cache_notice_seconds": 0.2,
}


def load_settings(**overrides: object) -> Settings:
    """Read the environment, applying the test environment's cheaper defaults where unset."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.app_env is AppEnv.TEST:
        cheaper = {
            key: value for key, value in _TEST_DEFAULTS.items() if key not in settings.model_fields_set
        }
        settings = settings.model_copy(update=cheaper)
    return settings


def describe_errors(error: ValidationError) -> list[str]:
    """One line per invalid setting, naming its variable and saying what is wrong, never its value."""
    lines = []
    for problem in error.errors(include_url=False, include_context=False, include_input=False):
        if problem["type"] == "default_factory_not_called":  # a consequence of another error
            continue
        message = problem["msg"].removeprefix("Value error, ")
        variable = "_".join(str(part) for part in problem["loc"]).upper()
        # Our own rules name their variable in the message (those of the whole model have no ``loc``).
        lines.append(message if message.startswith(variable) else f"{variable}: {message}")
    return lines


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
