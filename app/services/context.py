"""What every use case needs, built once per process in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from app.db.database import Database
from app.db.engine import create_engine
from app.security.passwords import PasswordHashing
from app.security.tokens import TokenCodec
from config import Settings


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    db: Database
    passwords: PasswordHashing
    tokens: TokenCodec

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        return cls(
            settings=settings,
            db=Database(create_engine(settings), retry_attempts=settings.db_retry_attempts),
            passwords=PasswordHashing(settings),
            tokens=TokenCodec(settings),
        )

    async def close(self) -> None:
        await self.db.dispose()
