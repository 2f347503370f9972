"""The settings schema.

Every value comes from the environment (no ``.env`` files: secrets are never stored in the tree).
Defaults are tuned per ``APP_ENV``; staging and production refuse to start with unsafe ones.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "development-only-secret-change-me-in-production"  # noqa: S105 - refused outside dev/test
MIN_JWT_SECRET_LENGTH = 32
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/conduit.sqlite3"


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """All configuration of a Conduit process. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    app_env: AppEnv = AppEnv.DEVELOPMENT

    # --- database -------------------------------------------------------------------------------
    database_url: str = DEFAULT_DATABASE_URL
    db_pool_size: int = Field(default=10, ge=1, le=1000)
    db_max_overflow: int = Field(default=10, ge=0, le=1000)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    db_pool_recycle_seconds: int = Field(default=1800, ge=-1)
    db_pool_pre_ping: bool = True
    db_statement_timeout_ms: int = Field(default=5000, ge=0)
    db_idle_in_transaction_timeout_ms: int = Field(default=10000, ge=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
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
    log_level: str = "INFO"

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
