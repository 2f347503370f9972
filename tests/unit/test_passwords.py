"""Password hashing: argon2id hashes at the configured cost, and verification that never errors."""

from __future__ import annotations

import pytest

from app.security.passwords import PasswordHashing
from config import load_settings

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def passwords() -> PasswordHashing:
    return PasswordHashing(load_settings(app_env="test"))


async def test_a_hash_is_argon2id_at_the_configured_cost(passwords: PasswordHashing) -> None:
    password_hash = await passwords.hash(PASSWORD)

    assert password_hash.startswith("$argon2id$v=19$m=1024,t=1,p=1$")


async def test_hashes_of_the_same_password_are_salted(passwords: PasswordHashing) -> None:
    assert await passwords.hash(PASSWORD) != await passwords.hash(PASSWORD)


@pytest.mark.parametrize("password", [PASSWORD, "pässwörd 🔑 ключ", " padded ", "p" * 256])
async def test_the_right_password_verifies(passwords: PasswordHashing, password: str) -> None:
    password_hash = await passwords.hash(password)

    assert await passwords.verify(password_hash, password) is True


@pytest.mark.parametrize(
    "attempt", ["correct horse batter", "correct horse battery ", "Correct horse battery", ""]
)
async def test_any_other_password_does_not_verify(passwords: PasswordHashing, attempt: str) -> None:
    password_hash = await passwords.hash(PASSWORD)

    assert await passwords.verify(password_hash, attempt) is False


# An unknown account is verified against a decoy hash (same cost), and must fail even for its password.
@pytest.mark.parametrize("attempt", [PASSWORD, "decoy password never matches"])
async def test_no_password_verifies_against_a_missing_hash(passwords: PasswordHashing, attempt: str) -> None:
    assert await passwords.verify(None, attempt) is False


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=1024,t=1,p=1$broken"])
@pytest.mark.parametrize("attempt", [PASSWORD, "decoy password never matches"])
async def test_a_malformed_stored_hash_does_not_verify(
    passwords: PasswordHashing, stored: str, attempt: str
) -> None:
    assert await passwords.verify(stored, attempt) is False


async def test_a_hash_made_at_another_cost_still_verifies(passwords: PasswordHashing) -> None:
    # Raising the cost later must not lock out users whose hashes were made at the old one.
    stronger = PasswordHashing(load_settings(app_env="test", password_hash_time_cost=2))
    password_hash = await stronger.hash(PASSWORD)

    assert await passwords.verify(password_hash, PASSWORD) is True
