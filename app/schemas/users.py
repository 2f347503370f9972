"""Users: registration, login, the current user and their update."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, EmailStr, Field, StringConstraints, field_validator

from app.db.models import EMAIL_MAX, IMAGE_URL_MAX, USERNAME_MAX
from app.schemas.base import ApiModel, InputModel, not_nullable

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
BIO_MAX = 4000


def _valid_username(value: str) -> str:
    if not USERNAME_PATTERN.fullmatch(value) or value in {".", ".."}:
        raise ValueError("may only contain letters, digits, '_', '-' and '.'")
    return value


def _lower_email(value: str) -> str:
    return value.lower()


def _http_url_or_none(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value, flags=re.IGNORECASE):
        raise ValueError("must be an http(s) URL")
    return value


Username = Annotated[
    str,
    StringConstraints(min_length=1, max_length=USERNAME_MAX),
    AfterValidator(_valid_username),
    Field(json_schema_extra={"pattern": r"^(?!\.\.?$)[A-Za-z0-9_.-]+$"}),
]
Email = Annotated[EmailStr, StringConstraints(max_length=EMAIL_MAX), AfterValidator(_lower_email)]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]
Bio = Annotated[str | None, Field(max_length=BIO_MAX)]
ImageUrl = Annotated[
    str | None,
    Field(
        max_length=IMAGE_URL_MAX, json_schema_extra={"pattern": r"^$|^[Hh][Tt][Tt][Pp][Ss]?://[^\s/$.?#]\S*$"}
    ),
    AfterValidator(_http_url_or_none),
]


class NewUser(InputModel):
    username: Username
    email: Email
    password: Password


class LoginCredentials(InputModel):
    email: Annotated[str, StringConstraints(min_length=1, max_length=EMAIL_MAX)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=PASSWORD_MAX)]


class UserUpdate(InputModel):
    """Only the fields given change; ``null`` or ``""`` clears bio and image."""

    username: Username | None = Field(default=None, json_schema_extra=not_nullable)
    email: Email | None = Field(default=None, json_schema_extra=not_nullable)
    password: Password | None = Field(default=None, json_schema_extra=not_nullable)
    bio: Bio = None
    image: ImageUrl = None

    @field_validator("username", "email", "password", mode="before")
    @classmethod
    def _required_when_given(cls, value: object) -> object:
        if value is None:
            raise ValueError("can't be blank")
        return value

    @field_validator("bio", mode="after")
    @classmethod
    def _empty_bio_clears(cls, value: str | None) -> str | None:
        return value or None


class NewUserRequest(BaseModel):
    user: NewUser


class LoginRequest(BaseModel):
    user: LoginCredentials


class UserUpdateRequest(BaseModel):
    user: UserUpdate


class UserOut(ApiModel):
    email: str
    token: str
    username: str
    bio: str | None
    image: str | None


class UserResponse(BaseModel):
    user: UserOut
