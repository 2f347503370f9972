"""``/settings``: the signed-in visitor's picture, username, bio, email and password.

A new password revokes every token issued before it (the service bumps the token version), this
browser's session included, so the session cookie is replaced by the fresh token the service returns.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from app.api.deps import Context
from app.exceptions import InvalidInput
from app.schemas.users import UserUpdate
from app.services import users
from app.web import forms
from app.web.cookies import set_session
from app.web.deps import SignedIn, Visitor, page_context
from app.web.templating import render

router = APIRouter()

Text = Annotated[str, Form()]
FIELDS = ("image", "username", "bio", "email", "password")


def _settings_page(
    request: Request, visitor: Visitor, values: dict[str, Any], errors: forms.FormErrors, status_code: int
) -> Response:
    context = page_context(request, visitor, active="settings", values=values, errors=errors)
    return render(request, "settings.html", context, status_code=status_code)


@router.get("/settings", name="pages:settings")
async def settings_page(request: Request, visitor: SignedIn) -> Response:
    account = visitor.account
    values = {
        "image": account.image or "",
        "username": account.username,
        "bio": account.bio or "",
        "email": account.email,
    }
    return _settings_page(request, visitor, values, errors={}, status_code=200)


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
