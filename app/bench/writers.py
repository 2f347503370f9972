"""The contention scenarios' writers: distinct accounts registered through the API before the run,
and, after it, the erasure of every account a run made (these and ``register``'s), with all they wrote.

Accounts are named ``bench-...`` (seeded users are ``user<id>``), so leftovers of an interrupted run
are found and erased by the next one. Erasing goes through the app's own ``accounts.erase`` (the one
place that knows what a user owns), so every counter the scenarios moved is put back exactly, however
the counters are kept.
"""

from __future__ import annotations

import secrets

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.bench.endpoints import BENCH_USER_PREFIX
from app.db.models import User
from app.security.tokens import TokenCodec
from app.services import accounts
from app.services.context import AppContext
from config import Settings

ERASED_PER_TRANSACTION = 50


async def register(client: httpx.AsyncClient, codec: TokenCodec, count: int) -> list[tuple[int, str]]:
    """``count`` new accounts, registered through the API: (user id, token) of each."""
    run = secrets.token_hex(3)
    writers = []
    for number in range(count):
        name = f"{BENCH_USER_PREFIX}w{run}-{number}"
        user = {"username": name, "email": f"{name}@bench.example", "password": "bench password"}
        response = await client.post("/api/users", json={"user": user})
        response.raise_for_status()
        token = response.json()["user"]["token"]
        writers.append((codec.decode(token).user_id, token))
    return writers


async def erase_all(settings: Settings) -> int:
    """Erase every account a benchmark run made; how many there were."""
    context = AppContext.from_settings(settings)
    erased = 0
    try:
        while True:

            async def work(session: AsyncSession) -> int:
                found = await session.scalars(
                    select(User)
                    .where(User.username.startswith(BENCH_USER_PREFIX, autoescape=True))
                    .limit(ERASED_PER_TRANSACTION)
                )
                users = list(found)
                for user in users:
                    await accounts.erase(session, user)
                return len(users)

            batch = await context.db.write(work)
            erased += batch
            if batch < ERASED_PER_TRANSACTION:
                return erased
    finally:
        await context.close()
