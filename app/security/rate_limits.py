"""Abuse limits, counted with ``limits``: failed logins, registrations and writes per client.

Every limit is a moving window per client address: the peer address, which uvicorn already
rewrites from ``X-Forwarded-For`` when the proxy is trusted. Failed logins are also counted per
account (a digest of the email), so guesses spread over many addresses still run out for one
account. The counts live in this process's memory, or in Redis when ``REDIS_URL`` is set, so that
every process of the deployment shares them.

If the counter store fails (Redis down or slow), the request goes through and a warning is logged:
the limits protect the service, they must not become a way to take it down.

A sign-in attempt is reserved before its password is checked, in the same atomic step that checks
the budget (``limits``' moving window: a Lua script in Redis, a lock per key in memory), and given
back unless the password was wrong. Testing the budget first and counting the failure afterwards
would let every parallel guess pass the test while the others are still in argon2.

Wiring: ``limit_writes`` is an app-wide dependency (it counts POST, PUT, PATCH and DELETE only);
``limit_registrations`` sits on the two sign-up routes; the login routes wrap the attempt in
``LoginThrottle``'s ``attempt(email)``, and account deletion hands that same ``attempt`` to the
service, which wraps its password confirmation in it: a wrong password there spends the same
budget as a failed sign-in.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from coredis import ConnectionPool, Redis
from coredis.exceptions import RedisError
from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from app.exceptions import NotAuthenticated, TooManyRequests, WrongPassword
from config import Settings

logger = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REDIS_KEY_PREFIX = "conduit"
# A rate-limit check must never hold a request up for long: past this, the store counts as down.
REDIS_TIMEOUT_SECONDS = 0.5

TOO_MANY_FAILED_LOGINS = "too many failed sign-in attempts; try again later"
TOO_MANY_REGISTRATIONS = "too many registrations from this address; try again later"
TOO_MANY_WRITES = "too many requests from this address; slow down"

Key = tuple[str, ...]


class RateLimits:
    """The process's limiter. Built once per app (see ``AppContext``); ``close`` releases Redis."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limits_enabled
        self._storage, self._pool = _storage(settings.redis_url)
        self._redis = None if self._pool is None else Redis(connection_pool=self._pool)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._failed_logins = parse_many(settings.rate_limit_failed_logins)
        self._registrations = parse_many(settings.rate_limit_registrations)
        self._writes = parse_many(settings.rate_limit_writes)

    @asynccontextmanager
    async def login_attempt(self, client: str, email: str) -> AsyncIterator[None]:
        """Wraps one sign-in attempt. Before any password is checked, the attempt takes one of the
        client's and one of the account's failed attempts (429 if either has none left); a failure
        (``NotAuthenticated``, or ``WrongPassword`` when a password confirms an action) keeps it,
        anything else gives it back, so signing in successfully never uses the budget up."""
        if not self.enabled:
            yield
            return
        keys = [("failed-login", "client", client), ("failed-login", "account", _digest(email))]
        reserved = await self._reserve(self._failed_logins, keys, TOO_MANY_FAILED_LOGINS)
        failed = False
        try:
            yield
        except (NotAuthenticated, WrongPassword):
            failed = True
            raise
        finally:
            if not failed:
                await self._give_back(reserved)

    async def registration(self, client: str) -> None:
        """Counts a registration attempt (successful or not); 429 once the client's budget is spent."""
        if self.enabled:
            await self._spend(self._registrations, ("registration", client), TOO_MANY_REGISTRATIONS)

    async def write(self, client: str) -> None:
        """Counts a write request; 429 once the client's budget is spent."""
        if self.enabled:
            await self._spend(self._writes, ("write", client), TOO_MANY_WRITES)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.disconnect()

    async def _reserve(
        self, items: Sequence[RateLimitItem], keys: Sequence[Key], message: str
    ) -> list[tuple[RateLimitItem, Key]]:
        """Takes one entry of every item for every key, each atomically with the check that one is
        left; if one is not, gives back those already taken and refuses (429)."""
        reserved: list[tuple[RateLimitItem, Key]] = []
        for item in items:
            for key in keys:
                if not await self._allowed(self._limiter.hit(item, *key)):
                    await self._give_back(reserved)
                    raise TooManyRequests(message, retry_after=await self._retry_after(item, key))
                reserved.append((item, key))
        return reserved

    async def _give_back(self, reserved: Sequence[tuple[RateLimitItem, Key]]) -> None:
        """Removes the newest entry of each window: the one reserved, or one taken a moment later,
        which counts the same. ``limits`` has no call for it, so this reaches into the two stores
        ``_storage`` builds: the memory store's entry list (under its key's lock) and the Redis list
        (one LPOP, atomic)."""
        for item, key in reserved:
            storage_key = item.key_for(*key)
            try:
                if isinstance(self._storage, MemoryStorage):
                    async with self._storage.locks[storage_key]:
                        if entries := self._storage.events.get(storage_key):
                            del entries[0]  # newest first
                elif self._redis is not None:
                    await self._redis.lpop(f"{REDIS_KEY_PREFIX}:{storage_key}")
            except (RedisError, OSError) as error:
                logger.warning("rate-limit store unavailable, attempt not given back: %s", error)

    async def _spend(self, items: Sequence[RateLimitItem], key: Key, message: str) -> None:
        for item in items:
            if not await self._allowed(self._limiter.hit(item, *key)):
                raise TooManyRequests(message, retry_after=await self._retry_after(item, key))

    async def _retry_after(self, item: RateLimitItem, key: Key) -> int:
        """Whole seconds until the oldest counted request leaves the window (at least 1)."""
        try:
            stats = await self._limiter.get_window_stats(item, *key)
        except StorageError:
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    @staticmethod
    async def _allowed(check: Awaitable[bool]) -> bool:
        try:
            return await check
        except StorageError as error:
            logger.warning("rate-limit store unavailable, request let through: %s", error.storage_error)
            return True


def _digest(email: str) -> str:
    """Accounts are keyed by a digest, so no email address is ever written to the counter store."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _storage(redis_url: str | None) -> tuple[Storage, ConnectionPool | None]:
    if redis_url is None:
        return MemoryStorage(wrap_exceptions=True), None
    plain = redis_url.removeprefix("async+")
    # Our own pool, so that its timeouts are short and ``close`` can let its connections go.
    pool = ConnectionPool.from_url(
        plain.replace("redis+unix://", "unix://", 1),
        connect_timeout=REDIS_TIMEOUT_SECONDS,
        stream_timeout=REDIS_TIMEOUT_SECONDS,
    )
    options: dict[str, ConnectionPool] = {"connection_pool": pool}
    storage = RedisStorage(
        f"async+{plain}",
        wrap_exceptions=True,
        key_prefix=REDIS_KEY_PREFIX,
        **options,  # type: ignore[arg-type]  # limits types its options as scalars, but passes them on
    )
    return storage, pool


# --- wiring into requests -------------------------------------------------------------------------


def client_address(request: Request) -> str:
    """Who is asking: the peer address (behind a trusted proxy, uvicorn has put the client's there)."""
    return request.client.host if request.client else "unknown"


def _rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.context.limits
    return limits


async def limit_writes(request: Request) -> None:
    """App-wide dependency: every write, on the API and on the pages, spends from the client's budget."""
    if request.method in WRITE_METHODS:
        await _rate_limits(request).write(client_address(request))


async def limit_registrations(request: Request) -> None:
    """Route dependency of the sign-up routes (API and page)."""
    await _rate_limits(request).registration(client_address(request))


@dataclass(frozen=True, slots=True)
class LoginAttempts:
    """The failed-login budget of the client making this request."""

    limits: RateLimits
    client: str

    def attempt(self, email: str) -> AbstractAsyncContextManager[None]:
        """``async with attempts.attempt(email): ...`` around the password check."""
        return self.limits.login_attempt(self.client, email)


def login_attempts(request: Request) -> LoginAttempts:
    return LoginAttempts(_rate_limits(request), client_address(request))


LoginThrottle = Annotated[LoginAttempts, Depends(login_attempts)]
