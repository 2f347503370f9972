"""Access tokens: what ``TokenCodec`` issues, and every way a token it did not issue, or no longer
honours, is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from app.security.tokens import InvalidToken, TokenClaims, TokenCodec
from config import load_settings
from tests.conftest import TEST_JWT_SECRET

LIFETIME_SECONDS = 3600


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(
        load_settings(app_env="test", jwt_secret=TEST_JWT_SECRET, jwt_lifetime_seconds=LIFETIME_SECONDS)
    )


def encode(claims: dict[str, Any], *, secret: str = TEST_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def valid_claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {"sub": "7", "sid": "s3ss10n", "iat": now, "exp": now + timedelta(minutes=5)}
    claims.update(changes)
    return claims


def refusal_cause(codec: TokenCodec, token: str) -> BaseException | None:
    """Decodes a token that must be refused; returns the underlying reason PyJWT gave, if any."""
    with pytest.raises(InvalidToken) as refused:
        codec.decode(token)
    return refused.value.__cause__


@pytest.mark.parametrize("user_id", [1, 7, 2**63 - 1])
def test_an_issued_token_decodes_to_the_same_claims(codec: TokenCodec, user_id: int) -> None:
    claims = TokenClaims(user_id=user_id, session_id="s3ss10n")

    assert codec.decode(codec.issue(claims)) == claims


def test_an_issued_token_is_an_hs256_jwt_with_the_configured_lifetime(codec: TokenCodec) -> None:
    token = codec.issue(TokenClaims(user_id=7, session_id="s3ss10n"))

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"])
    assert header["alg"] == "HS256"
    assert (payload["sub"], payload["sid"]) == ("7", "s3ss10n")
    assert payload["exp"] - payload["iat"] == LIFETIME_SECONDS
    assert abs(payload["iat"] - datetime.now(UTC).timestamp()) < 60


def test_a_token_of_another_codec_with_the_same_secret_is_accepted(codec: TokenCodec) -> None:
    # The secret, not the process, is what makes a token valid: tokens survive restarts.
    token = encode(valid_claims())

    assert codec.decode(token) == TokenClaims(user_id=7, session_id="s3ss10n")


def test_an_expired_token_is_refused(codec: TokenCodec) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    token = encode(valid_claims(iat=past, exp=past + timedelta(hours=1)))

    assert isinstance(refusal_cause(codec, token), jwt.ExpiredSignatureError)


def test_a_token_signed_with_another_secret_is_refused(codec: TokenCodec) -> None:
    token = encode(valid_claims(), secret="another-secret-that-is-long-enough-for-hs256-0123")

    assert isinstance(refusal_cause(codec, token), jwt.InvalidSignatureError)


@pytest.mark.parametrize("algorithm", ["HS384", "none"])
def test_a_token_of_another_algorithm_is_refused(codec: TokenCodec, algorithm: str) -> None:
    token = jwt.encode(valid_claims(), TEST_JWT_SECRET if algorithm != "none" else None, algorithm=algorithm)

    assert isinstance(refusal_cause(codec, token), jwt.InvalidAlgorithmError)


def test_a_token_whose_claims_were_tampered_with_is_refused(codec: TokenCodec) -> None:
    header, _claims, signature = codec.issue(TokenClaims(user_id=7, session_id="s3ss10n")).split(".")
    _, other_claims, _ = encode(valid_claims(sub="8")).split(".")

    assert isinstance(refusal_cause(codec, f"{header}.{other_claims}.{signature}"), jwt.InvalidSignatureError)


@pytest.mark.parametrize("claim", ["sub", "sid", "exp"])
def test_a_token_missing_a_required_claim_is_refused(codec: TokenCodec, claim: str) -> None:
    claims = valid_claims()
    del claims[claim]

    cause = refusal_cause(codec, encode(claims))
    assert isinstance(cause, jwt.MissingRequiredClaimError)
    assert cause.claim == claim


@pytest.mark.parametrize(
    "changes",
    [
        {"sub": "jake"},
        {"sub": ""},
        {"sub": "0"},
        {"sub": "-1"},
        {"sub": str(2**63)},  # beyond any database id
        {"sid": 2},
        {"sid": True},
        {"sid": ""},
        {"sid": "x" * 65},
        {"sid": None},
    ],
    ids=str,
)
def test_a_token_with_malformed_claims_is_refused(codec: TokenCodec, changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken):
        codec.decode(encode(valid_claims(**changes)))


def test_a_token_from_before_sessions_is_refused(codec: TokenCodec) -> None:
    # Issued before migration 0007: a credentials version, no session. Its holder signs in again.
    claims = valid_claims(ver=0)
    del claims["sid"]

    assert isinstance(refusal_cause(codec, encode(claims)), jwt.MissingRequiredClaimError)


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "Token abc"])
def test_a_string_that_is_not_a_jwt_is_refused(codec: TokenCodec, token: str) -> None:
    assert isinstance(refusal_cause(codec, token), jwt.DecodeError)
