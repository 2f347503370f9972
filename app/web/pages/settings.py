"""``/settings``: the signed-in visitor's picture, username, bio, email and password; downloading
all of their data; deleting their account.

A new password revokes every token issued before it (the service bumps the token version), this
browser's session included, so the session cookie is replaced by the fresh token the service returns.
Deleting the account takes the current password (a wrong one counts as a failed sign-in), then
signs this browser out and says so on the home page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app.api.deps import Context
from app.exceptions import InvalidInput, WrongPassword
from app.schemas.accounts import AccountDeletion, AccountExportResponse
from app.schemas.users import UserUpdate
from app.security.rate_limits import LoginThrottle
from app.services import accounts, users
from app.web import forms
from app.web.cookies import clear_session, set_session
from app.web.deps import MaybeVisitor, SignedIn, Visitor, page_context
from app.web.errors import sign_in_redirect
from app.web.notices import set_notice
from app.web.templating import render

router = APIRouter()

Text = Annotated[str, Form()]
FIELDS = ("image", "username", "bio", "email", "password")


def _settings_page(
    request: Request,
    visitor: Visitor,
    values: dict[str, Any],
    errors: forms.FormErrors,
    status_code: int,
    delete_errors: forms.FormErrors | None = None,
) -> Response:
    context = page_context(
        request, visitor, active="settings", values=values, errors=errors, delete_errors=delete_errors or {}
    )
    return render(request, "settings.html", context, status_code=status_code)


def _current_values(visitor: Visitor) -> dict[str, Any]:
    account = visitor.account
    return {
        "image": account.image or "",
        "username": account.username,
        "bio": account.bio or "",
        "email": account.email,
    }


@router.get("/settings", name="pages:settings")
async def settings_page(request: Request, visitor: SignedIn) -> Response:
    return _settings_page(request, visitor, _current_values(visitor), errors={}, status_code=200)


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
        response = RedirectResponse("/", status_code=303)
        clear_session(response, request)
        set_notice(response, request, "account-deleted")
        return response
    values = _current_values(visitor)
    return _settings_page(request, visitor, values, errors={}, status_code=422, delete_errors=errors)


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
    return _settings_page(request, visitor, values, errors, status_code=422)
