"""Who is looking at a page, and the helpers every page uses to answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from app import domain
from app.api.deps import Context
from app.exceptions import NotAuthenticated
from app.security.tokens import TokenClaims
from app.services import users
from app.web.cookies import session_claims


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in person: their token's claims (for services) and their account (for the page)."""

    claims: TokenClaims
    account: domain.Account


class SignInRequired(Exception):
    """The page needs a signed-in visitor; answered with a redirect to the sign-in page."""


async def current_visitor(request: Request, ctx: Context) -> Visitor | None:
    """The signed-in visitor, or ``None``: a forged, expired or revoked session is simply signed out."""
    claims = session_claims(request, ctx.tokens)
    if claims is None:
        return None
    ctx.activity.used(claims.session_id)
    try:
        account = await users.get_current(ctx, claims)
    except NotAuthenticated:
        return None
    return Visitor(claims=claims, account=account)


async def signed_in_visitor(visitor: Annotated[Visitor | None, Depends(current_visitor)]) -> Visitor:
    if visitor is None:
        raise SignInRequired
    return visitor


MaybeVisitor = Annotated[Visitor | None, Depends(current_visitor)]
SignedIn = Annotated[Visitor, Depends(signed_in_visitor)]


def claims_of(visitor: Visitor | None) -> TokenClaims | None:
    return visitor.claims if visitor else None


def is_htmx(request: Request) -> bool:
    """An htmx request wants a fragment back, not a whole page or a redirect."""
    return request.headers.get("hx-request") == "true"


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (another host, ``//evil``) falls back to ``default``."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def page_context(request: Request, visitor: Visitor | None, **values: Any) -> dict[str, Any]:
    return {"request": request, "visitor": visitor, **values}
