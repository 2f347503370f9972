"""Registration, login, the current user, and the account's lifecycle (export, deletion)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from app.api.deps import Caller, Context, SignInFrom
from app.api.responses import errors
from app.schemas.accounts import AccountDeletionRequest, AccountExportResponse
from app.schemas.sessions import SessionsResponse
from app.schemas.users import LoginRequest, NewUserRequest, UserOut, UserResponse, UserUpdateRequest
from app.security.rate_limits import LoginThrottle, limit_registrations
from app.services import accounts, sessions, users

router = APIRouter(tags=["User and Authentication"])


def _user_response(account: object) -> UserResponse:
    return UserResponse(user=UserOut.model_validate(account))


@router.post(
    "/users",
    name="users:register",
    status_code=status.HTTP_201_CREATED,
    responses=errors(403, 413, 429),
    summary="Register a new user",
    dependencies=[Depends(limit_registrations)],
    description="Signs the new user in: the token names a new session (see `GET /api/user/sessions`).",
)
async def register(request: NewUserRequest, ctx: Context, client: SignInFrom) -> UserResponse:
    return _user_response(await users.register(ctx, request.user, client))


@router.post(
    "/users/login",
    name="users:login",
    responses=errors(401, 413, 429),
    summary="Existing user login",
    description="Each login starts a session of its own, named by the token (see `GET /api/user/sessions`).",
)
async def login(
    request: LoginRequest, ctx: Context, attempts: LoginThrottle, client: SignInFrom
) -> UserResponse:
    async with attempts.attempt(request.user.email):
        account = await users.login(ctx, request.user, client)
    return _user_response(account)


@router.post(
    "/users/logout",
    name="users:logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 429),
    summary="Log out: end the caller's session",
    description="Conduit extension. Ends the session the token was issued for: from now on that token "
    "gets 401 on every process. The caller's other sessions go on.",
)
async def logout(ctx: Context, caller: Caller) -> None:
    await sessions.sign_out(ctx, caller)


@router.get(
    "/user/sessions",
    name="users:sessions",
    responses=errors(401),
    summary="List the current user's sessions",
    description="Conduit extension. One session per sign-in (login, registration, the site's sign-in "
    "and sign-up) that has not ended, most recently used first; `current` marks the caller's own. "
    "`lastUsedAt` is recorded at most once a minute.",
)
async def list_sessions(ctx: Context, caller: Caller) -> SessionsResponse:
    found = await sessions.list_sessions(ctx, caller)
    return SessionsResponse.model_validate({"sessions": found})


@router.delete(
    "/user/sessions/{id}",
    name="users:end-session",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 404, 429),
    summary="End one of the current user's sessions",
    description="Conduit extension. Its token gets 401 from now on (the caller's own, if it is named). "
    "404 if the caller has no session with this id.",
)
async def end_session(session_id: Annotated[str, Path(alias="id")], ctx: Context, caller: Caller) -> None:
    await sessions.end(ctx, caller, session_id)


@router.delete(
    "/user/sessions",
    name="users:end-other-sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 429),
    summary="End every other session of the current user",
    description="Conduit extension. Signs out everywhere else: every session but the caller's ends.",
)
async def end_other_sessions(ctx: Context, caller: Caller) -> None:
    await sessions.end_others(ctx, caller)


@router.get("/user", name="users:current", responses=errors(401), summary="Get current user")
async def get_current_user(ctx: Context, caller: Caller) -> UserResponse:
    return _user_response(await users.get_current(ctx, caller))


@router.put("/user", name="users:update", responses=errors(401, 409, 413, 429), summary="Update current user")
async def update_current_user(request: UserUpdateRequest, ctx: Context, caller: Caller) -> UserResponse:
    return _user_response(await users.update(ctx, caller, request.user))


@router.get(
    "/user/export",
    name="users:export",
    responses=errors(401),
    summary="Download all of the current user's data",
    description="Conduit extension. Everything the caller put in, as one JSON document: `profile` (no "
    "password hash, no token), `articles` with their `tagList`, `comments` (each with the `article` slug "
    "it is on), `favorites` (slugs), `following` and `followers` (usernames), each list oldest first. "
    "Nothing that other users wrote. Read from one consistent snapshot.",
)
async def export_current_user(ctx: Context, caller: Caller) -> AccountExportResponse:
    return AccountExportResponse.model_validate(await accounts.export(ctx, caller))


@router.delete(
    "/user",
    name="users:delete",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=errors(401, 403, 413, 429),
    summary="Delete the current user's account",
    description="Conduit extension. The body confirms it with the account's password: "
    '`{"user": {"password": "..."}}`. Deletes the account, its articles (with their comments and '
    "favorites), its comments, favorites and follows, in one transaction; favorite and tag counts of "
    "what remains stay exact. A wrong password is 403 with a `password` field error and counts as a "
    "failed sign-in (429 once too many). Afterwards every token of the account is refused (401), and "
    "its username and email can be registered again.",
)
async def delete_current_user(
    request: AccountDeletionRequest, ctx: Context, caller: Caller, attempts: LoginThrottle
) -> None:
    await accounts.delete_account(ctx, caller, request.user, guard=attempts.attempt)
