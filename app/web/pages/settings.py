"""``/settings``: the signed-in visitor's picture, username, bio, email and password; their
sessions; downloading all of their data; deleting their account.

A new password ends every other session of the visitor and keeps this browser's (the cookie gets the
token the service returns, for the same session). The sessions list shows where they are signed in,
each with "Sign out", plus "Sign out everywhere else"; ending this browser's own session signs it out.
Deleting the account takes the current password (a wrong one counts as a failed sign-in), then
signs this browser out and says so on the home page.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app.api.deps import Context
from app.exceptions import InvalidInput, NotAuthenticated, NotFound, WrongPassword
from app.schemas.accounts import AccountDeletion, AccountExportResponse
from app.schemas.users import UserUpdate
from app.security.rate_limits import LoginThrottle
from app.services import accounts, sessions, users
from app.web import forms
from app.web.cookies import clear_session, set_session
from app.web.deps import MaybeVisitor, SignedIn, Visitor, page_context
from app.web.errors import sign_in_redirect
from app.web.notices import set_notice
from app.web.templating import render

router = APIRouter()

Text = Annotated[str, Form()]
FIELDS = ("image", "username", "bio", "email", "password")


async def _settings_page(
    request: Request,
    ctx: Context,
    visitor: Visitor,
    values: dict[str, Any],
    errors: forms.FormErrors,
    status_code: int,
    delete_errors: forms.FormErrors | None = None,
) -> Response:
    context = page_context(
        request,
        visitor,
        active="settings",
        values=values,
        errors=errors,
        delete_errors=delete_errors or {},
        sessions=await sessions.list_sessions(ctx, visitor.claims),
    )
    return render(request, "settings.html", context, status_code=status_code)


def _signed_out(request: Request, notice: str | None = None) -> Response:
    """To the home page, this browser signed out (its session has ended)."""
    response = RedirectResponse("/", status_code=303)
    clear_session(response, request)
    if notice is not None:
        set_notice(response, request, notice)
    return response


def _current_values(visitor: Visitor) -> dict[str, Any]:
    account = visitor.account
    return {
        "image": account.image or "",
        "username": account.username,
        "bio": account.bio or "",
        "email": account.email,
    }


@router.get("/settings", name="pages:settings")
async def settings_page(request: Request, ctx: Context, visitor: SignedIn) -> Response:
    return await _settings_page(request, ctx, visitor, _current_values(visitor), errors={}, status_code=200)


@router.post("/settings/sessions/{session_id}/end", name="pages:settings-end-session")
async def end_session(request: Request, ctx: Context, visitor: MaybeVisitor, session_id: str) -> Response:
    """Ends one session (its "Sign out" button); ending this browser's own signs this browser out."""
    if visitor is None:
        return sign_in_redirect(request, "/settings")
    # Ended meanwhile (another tab, another device, this very session): done anyway.
    with contextlib.suppress(NotFound, NotAuthenticated):
        await sessions.end(ctx, visitor.claims, session_id)
    if session_id == visitor.claims.session_id:
        return _signed_out(request)
    return RedirectResponse("/settings#sessions", status_code=303)


@router.post("/settings/sessions/end-others", name="pages:settings-end-other-sessions")
async def end_other_sessions(request: Request, ctx: Context, visitor: MaybeVisitor) -> Response:
    """Ends every session but this browser's ("Sign out everywhere else")."""
    if visitor is None:
        return sign_in_redirect(request, "/settings")
    try:
        await sessions.end_others(ctx, visitor.claims)
    except NotAuthenticated:  # this session ended meanwhile
        return sign_in_redirect(request, "/settings")
    return RedirectResponse("/settings#sessions", status_code=303)


@router.get("/settings/export", name="pages:settings-export")
async def download_my_data(ctx: Context, visitor: SignedIn) -> Response:
    """The same document as ``GET /api/user/export``, as a file to save."""
    export = await accounts.export(ctx, visitor.claims)
    document = AccountExportResponse.model_validate(export).model_dump_json(by_alias=True, indent=2)
    filename = f"conduit-{export.profile.username}-{export.exported_at:%Y-%m-%d}.json"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}
    return Response(document, media_type="application/json", headers=headers)


@router.post("/settings/delete", name="pages:settings-delete")
async def delete_my_account(
    request: Request, ctx: Context, visitor: MaybeVisitor, attempts: LoginThrottle, password: Text = ""
) -> Response:
    if visitor is None:  # back to the settings page after signing in (this URL only takes POST)
        return sign_in_redirect(request, "/settings")
    try:
        confirmation = AccountDeletion(password=password)
        await accounts.delete_account(ctx, visitor.claims, confirmation, guard=attempts.attempt)
    except ValidationError as error:
        errors = forms.from_validation(error, shown=("password",))
    except WrongPassword as error:
        errors = forms.from_service(error, shown=("password",))
    else:
        return _signed_out(request, "account-deleted")
    values = _current_values(visitor)
    return await _settings_page(
        request, ctx, visitor, values, errors={}, status_code=422, delete_errors=errors
    )


@router.post("/settings", name="pages:settings-submit")
async def update_settings(
    request: Request,
    ctx: Context,
    visitor: SignedIn,
    image: Text = "",
    username: Text = "",
    bio: Text = "",
    email: Text = "",
    password: Text = "",
) -> Response:
    values = {"image": image, "username": username, "bio": bio, "email": email}
    # An empty password field means "keep the current one"; empty image and bio clear them.
    changes = {**values, **({"password": password} if password else {})}
    try:
        account = await users.update(ctx, visitor.claims, UserUpdate(**changes))
    except ValidationError as error:
        errors = forms.from_validation(error, FIELDS)
    except InvalidInput as error:
        errors = forms.from_service(error, FIELDS)
    else:
        response = RedirectResponse(f"/profile/{quote(account.username, safe='')}", status_code=303)
        set_session(response, request, ctx.settings, account.token)
        return response
    return await _settings_page(request, ctx, visitor, values, errors, status_code=422)
