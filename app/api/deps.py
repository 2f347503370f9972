"""Dependencies that make route signatures read like sentences: ``ctx: Context, caller: Caller``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from app import domain
from app.db.models import CLIENT_ADDRESS_MAX, USER_AGENT_MAX
from app.exceptions import NotAuthenticated
from app.security.tokens import InvalidToken, TokenClaims
from app.services.context import AppContext
from app.web.cookies import session_claims

AUTH_SCHEMES = ("token", "bearer")

# Declares the "Token" security scheme in the OpenAPI description; the header is parsed below.
_authorization_header = APIKeyHeader(
    name="Authorization",
    scheme_name="Token",
    description="`Token <jwt>` (or `Bearer <jwt>`), as returned by registration and login.",
    auto_error=False,
)


async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def _claims_from_header(header: str | None, context: AppContext) -> TokenClaims | None:
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in AUTH_SCHEMES or not token.strip():
        raise NotAuthenticated("authorization header must be 'Token <jwt>'")
    try:
        claims = context.tokens.decode(token.strip())
    except InvalidToken as error:
        raise NotAuthenticated("token is invalid or expired") from error
    context.activity.used(claims.session_id)
    return claims


async def optional_claims(
    header: Annotated[str | None, Depends(_authorization_header)],
    context: Annotated[AppContext, Depends(get_context)],
) -> TokenClaims | None:
    """The caller's token claims, or ``None`` when no credentials were sent (bad ones are 401)."""
    return _claims_from_header(header, context)


async def required_claims(claims: Annotated[TokenClaims | None, Depends(optional_claims)]) -> TokenClaims:
    if claims is None:
        raise NotAuthenticated("authentication required")
    return claims


async def stream_claims(
    request: Request,
    claims: Annotated[TokenClaims | None, Depends(optional_claims)],
    context: Annotated[AppContext, Depends(get_context)],
) -> TokenClaims | None:
    """For event streams: the Authorization header, or else the site's session cookie (browsers'
    EventSource cannot send headers). A bad cookie is anonymous, as on the pages."""
    if claims is not None:
        return claims
    from_cookie = session_claims(request, context.tokens)
    if from_cookie is not None:
        context.activity.used(from_cookie.session_id)
    return from_cookie


def sign_in_client(request: Request) -> domain.SignInClient:
    """Where a sign-in comes from, for its session: the User-Agent as sent (cut to length) and the
    client address (a trusted proxy's X-Forwarded-For, as uvicorn applies it)."""
    address = request.client.host if request.client else ""
    return domain.SignInClient(
        user_agent=request.headers.get("user-agent", "")[:USER_AGENT_MAX],
        address=address[:CLIENT_ADDRESS_MAX],
    )


Context = Annotated[AppContext, Depends(get_context)]
Caller = Annotated[TokenClaims, Depends(required_claims)]
OptionalCaller = Annotated[TokenClaims | None, Depends(optional_claims)]
StreamCaller = Annotated[TokenClaims | None, Depends(stream_claims)]
SignInFrom = Annotated[domain.SignInClient, Depends(sign_in_client)]
