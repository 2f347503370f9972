"""Argon2id password hashing, run off the event loop (hashing is deliberately slow)."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from config import Settings


class PasswordHashing:
    """Hashes and verifies passwords with argon2id at the cost the settings give."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
            type=Type.ID,
        )
        # Verified against when the account does not exist, so that a login for an unknown
        # email costs the same time as one with a wrong password.
        self._decoy_hash = self._hasher.hash("decoy password never matches")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; ``None`` (no such account) spends the same time, then fails."""
        return await anyio.to_thread.run_sync(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            # `is None`, not falsiness: an empty stored hash must fail, not stand in for the decoy.
            stored = self._decoy_hash if password_hash is None else password_hash
            matched = self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and password_hash is not None
