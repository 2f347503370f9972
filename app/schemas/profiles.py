"""Profiles of users as others see them."""

from __future__ import annotations

from pydantic import BaseModel

from app.schemas.base import ApiModel


class ProfileOut(ApiModel):
    username: str
    bio: str | None
    image: str | None
    following: bool


class ProfileResponse(BaseModel):
    profile: ProfileOut
