"""Signing in, signing up and signing out: ``/login``, ``/register``, ``/logout``.

A rejected form (blank or malformed fields, a taken username, wrong credentials) comes back as the
same page with status 422, the messages next to the fields and what was typed kept (never the
password). Not 401 for wrong credentials: that status promises a ``WWW-Authenticate`` challenge,
and a sign-in form has none to offer.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app.api.deps import Context, SignInFrom
from app.exceptions import InvalidInput, NotAuthenticated
from app.schemas.users import LoginCredentials, NewUser
from app.security.rate_limits import LoginThrottle, limit_registrations
from app.services import sessions, users
from app.web import forms
from app.web.cookies import clear_session, session_claims, set_session
from app.web.deps import MaybeVisitor, page_context, safe_next
from app.web.templating import render

router = APIRouter()

NextField = Annotated[str, Form(alias="next")]
NextQuery = Annotated[str, Query(alias="next")]
Text = Annotated[str, Form()]


def _home() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


def _signed_in(request: Request, ctx: Context, token: str, next_target: str) -> RedirectResponse:
    response = RedirectResponse(safe_next(next_target), status_code=303)
    set_session(response, request, ctx.settings, token)
    return response


@router.get("/login", name="pages:login")
async def login_page(request: Request, visitor: MaybeVisitor, next_target: NextQuery = "") -> Response:
    if visitor is not None:
        return _home()
    context = page_context(
        request, visitor, active="login", next=safe_next(next_target, ""), email="", errors={}
    )
    return render(request, "login.html", context)


@router.post("/login", name="pages:login-submit")
async def login(
    request: Request,
    ctx: Context,
    visitor: MaybeVisitor,
    attempts: LoginThrottle,
    client: SignInFrom,
    email: Text = "",
    password: Text = "",
    next_target: NextField = "",
) -> Response:
    if visitor is not None:
        return _home()
    try:
        credentials = LoginCredentials(email=email, password=password)
        async with attempts.attempt(credentials.email):
            account = await users.login(ctx, credentials, client)
    except ValidationError as error:
        errors = forms.from_validation(error, shown=("email", "password"))
    except NotAuthenticated as error:
        errors = forms.from_service(error, shown=())
    else:
        return _signed_in(request, ctx, account.token, next_target)
    context = page_context(
        request, None, active="login", next=safe_next(next_target, ""), email=email, errors=errors
    )
    return render(request, "login.html", context, status_code=422)


@router.get("/register", name="pages:register")
async def register_page(request: Request, visitor: MaybeVisitor, next_target: NextQuery = "") -> Response:
    if visitor is not None:
        return _home()
    context = page_context(
        request, visitor, active="register", next=safe_next(next_target, ""), username="", email="", errors={}
    )
    return render(request, "register.html", context)


@router.post("/register", name="pages:register-submit", dependencies=[Depends(limit_registrations)])
async def register(
    request: Request,
    ctx: Context,
    visitor: MaybeVisitor,
    client: SignInFrom,
    username: Text = "",
    email: Text = "",
    password: Text = "",
    next_target: NextField = "",
) -> Response:
    if visitor is not None:
        return _home()
    shown = ("username", "email", "password")
    try:
        data = NewUser(username=username, email=email, password=password)
        account = await users.register(ctx, data, client)
    except ValidationError as error:
        errors = forms.from_validation(error, shown)
    except InvalidInput as error:
        errors = forms.from_service(error, shown)
    else:
        return _signed_in(request, ctx, account.token, next_target)
    context = page_context(
        request,
        None,
        active="register",
        next=safe_next(next_target, ""),
        username=username,
        email=email,
        errors=errors,
    )
    return render(request, "register.html", context, status_code=422)


@router.post("/logout", name="pages:logout")
async def logout(request: Request, ctx: Context) -> Response:
    """Ends this browser's session (its token gets 401 everywhere from now on) and forgets the cookie."""
    claims = session_claims(request, ctx.tokens)
    if claims is not None:
        with contextlib.suppress(NotAuthenticated):  # already ended: signing out again is no error
            await sessions.sign_out(ctx, claims)
    response = _home()
    clear_session(response, request)
    return response
