"""What every use case needs, built once per process in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from app.db.database import Database
from app.db.engine import create_engine
from app.db.folding import CounterFolder
from app.events.bus import EventBus, InProcessBus
from app.events.postgres import PostgresBus
from app.events.streams import StreamLimiter
from app.security.passwords import PasswordHashing
from app.security.rate_limits import RateLimits
from app.security.tokens import TokenCodec
from app.services.activity import SessionActivity
from config import Settings


@dataclass(frozen=True, slots=True)
class AppContext:
    settings: Settings
    db: Database
    passwords: PasswordHashing
    tokens: TokenCodec
    events: EventBus
    streams: StreamLimiter
    limits: RateLimits
    activity: SessionActivity
    folder: CounterFolder

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        db = Database(
            create_engine(settings),
            retry_attempts=settings.db_retry_attempts,
            cache_notice_seconds=settings.response_cache_notice_seconds,
        )
        return cls(
            settings=settings,
            db=db,
            passwords=PasswordHashing(settings),
            tokens=TokenCodec(settings),
            events=_event_bus(settings),
            streams=StreamLimiter(
                per_process=settings.events_max_streams,
                per_user=settings.events_max_streams_per_user,
                per_address=settings.events_max_streams_per_address,
            ),
            limits=RateLimits(settings),
            activity=SessionActivity(db),
            folder=CounterFolder(db.engine),
        )

    async def start(self) -> None:
        await self.events.start()
        await self.folder.start()  # moves pending counter deltas into their bases (app/db/folding.py)
        if self.settings.response_cache_enabled:  # returns once every writer raises the generation
            await self.db.generation.start_caching()

    async def close(self) -> None:
        await self.folder.stop()
        await self.events.stop()
        await self.limits.close()
        await self.activity.settle()
        await self.db.dispose()


def _event_bus(settings: Settings) -> EventBus:
    sizes = {"queue_size": settings.events_queue_size, "retention": settings.events_retention}
    if settings.uses_postgres_events:
        return PostgresBus(settings.database_url, **sizes)
    return InProcessBus(**sizes)
