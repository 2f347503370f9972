"""The caller's sessions, as ``GET /api/user/sessions`` lists them."""

from __future__ import annotations

from pydantic import Field

from app.schemas.base import ApiModel, Timestamp


class SessionOut(ApiModel):
    id: str = Field(description="Names the session in `DELETE /api/user/sessions/{id}`.")
    created_at: Timestamp = Field(description="When it was signed in.")
    last_used_at: Timestamp = Field(description="Its latest request, to within about a minute.")
    user_agent: str = Field(description="The `User-Agent` it signed in with (as the client said).")
    client_address: str = Field(description="The address it signed in from.")
    current: bool = Field(description="Whether it is the session making this request.")


class SessionsResponse(ApiModel):
    sessions: list[SessionOut]
