"""Profiles and following."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import Caller, Context, OptionalCaller
from app.api.responses import OPTIONAL_AUTH, errors
from app.domain import Profile
from app.schemas.profiles import ProfileOut, ProfileResponse
from app.services import profiles

router = APIRouter(prefix="/profiles/{username}", tags=["Profile"])


def _profile_response(profile: Profile) -> ProfileResponse:
    return ProfileResponse(profile=ProfileOut.model_validate(profile))


@router.get(
    "", name="profiles:get", responses=errors(401, 404), summary="Get a profile", openapi_extra=OPTIONAL_AUTH
)
async def get_profile(username: str, ctx: Context, caller: OptionalCaller) -> ProfileResponse:
    return _profile_response(await profiles.get(ctx, caller, username))


@router.post("/follow", name="profiles:follow", responses=errors(401, 404, 429), summary="Follow a user")
async def follow(username: str, ctx: Context, caller: Caller) -> ProfileResponse:
    return _profile_response(await profiles.follow(ctx, caller, username))


@router.delete(
    "/follow", name="profiles:unfollow", responses=errors(401, 404, 429), summary="Unfollow a user"
)
async def unfollow(username: str, ctx: Context, caller: Caller) -> ProfileResponse:
    return _profile_response(await profiles.unfollow(ctx, caller, username))
