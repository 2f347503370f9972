"""Registration, login and the current user."""

from __future__ import annotations

from fastapi import APIRouter, Depends, status

from app.api.deps import Caller, Context
from app.api.responses import errors
from app.schemas.users import LoginRequest, NewUserRequest, UserOut, UserResponse, UserUpdateRequest
from app.security.rate_limits import LoginThrottle, limit_registrations
from app.services import users

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
)
async def register(request: NewUserRequest, ctx: Context) -> UserResponse:
    return _user_response(await users.register(ctx, request.user))


@router.post(
    "/users/login", name="users:login", responses=errors(401, 413, 429), summary="Existing user login"
)
async def login(request: LoginRequest, ctx: Context, attempts: LoginThrottle) -> UserResponse:
    async with attempts.attempt(request.user.email):
        account = await users.login(ctx, request.user)
    return _user_response(account)


@router.get("/user", name="users:current", responses=errors(401), summary="Get current user")
async def get_current_user(ctx: Context, caller: Caller) -> UserResponse:
    return _user_response(await users.get_current(ctx, caller))


@router.put("/user", name="users:update", responses=errors(401, 413, 429), summary="Update current user")
async def update_current_user(request: UserUpdateRequest, ctx: Context, caller: Caller) -> UserResponse:
    return _user_response(await users.update(ctx, caller, request.user))
