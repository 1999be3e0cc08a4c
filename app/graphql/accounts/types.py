from __future__ import annotations

import datetime as dt

import strawberry

from app.auth.permissions import known_scopes
from app.graphql.enums import ApiKeyScope, Role
from app.models.api_key import ApiKey
from app.models.staff import Staff


@strawberry.type(name="Staff")
class StaffType:
    id: strawberry.ID
    email: str
    name: str
    role: Role
    is_active: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def from_model(cls, staff: Staff) -> StaffType:
        return cls(
            id=strawberry.ID(str(staff.id)),
            email=staff.email,
            name=staff.name,
            role=staff.role,
            is_active=staff.is_active,
            last_login_at=staff.last_login_at,
            created_at=staff.created_at,
        )


@strawberry.type(name="ApiKey")
class ApiKeyType:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The first characters of the key.")
    scopes: list[ApiKeyScope]
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def from_model(cls, key: ApiKey) -> ApiKeyType:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            prefix=key.prefix,
            scopes=known_scopes(key.scopes),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


@strawberry.type(description="Who the current credential is.")
class Viewer:
    organization_id: strawberry.ID
    kind: str
    staff: StaffType | None
    role: Role | None
    scopes: list[ApiKeyScope]


@strawberry.type
class LoginOrganization:
    """An organization the credentials sent to `login` open."""

    id: strawberry.ID
    name: str
