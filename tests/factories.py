"""Builders for test data, through the same services and API the product uses.

Staff members get their password hash computed once per session (Argon2 is slow on purpose),
then a real session token from `issue_token`; API keys come from the real service.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx
from arq.connections import ArqRedis

from app.auth import service as auth
from app.auth.permissions import ApiKeyScope
from app.auth.principal import Principal, PrincipalKind
from app.config import Settings
from app.core.secrets import hash_password
from app.main import create_app
from app.models.staff import Role, Staff
from tests.conftest import GraphQLClient, Tenant

STAFF_PASSWORD = "staff password 123"


@lru_cache(maxsize=1)
def _staff_password_hash() -> str:
    return hash_password(STAFF_PASSWORD)


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    email: str
    role: Role
    token: str


def owner_of(tenant: Tenant) -> Principal:
    return Principal(
        organization_id=tenant.organization_id,
        kind=PrincipalKind.STAFF,
        subject_id=tenant.owner_id,
        role=Role.OWNER,
    )


async def add_staff(tenant: Tenant, role: Role, email: str | None = None) -> Member:
    """A signed-in staff member of `tenant` with `role` (password: STAFF_PASSWORD)."""
    address = email or f"{role.value.lower()}-{secrets.token_hex(4)}@example.com"
    staff = await Staff.create(
        organization_id=tenant.organization_id,
        email=address,
        name=role.value.title(),
        role=role,
        password_hash=_staff_password_hash(),
    )
    issued = await auth.issue_token(staff, 3600)
    return Member(staff.id, address, role, issued.token)


@dataclass(frozen=True)
class Key:
    id: uuid.UUID
    secret: str


async def add_api_key(tenant: Tenant, *scopes: ApiKeyScope, name: str = "POS") -> Key:
    issued = await auth.create_api_key(owner_of(tenant), name, list(scopes))
    return Key(issued.api_key.id, issued.key)


CUSTOMER_CREATE = """
mutation($input: CustomerFieldsInput!) {
  customerCreate(input: $input) {
    customer { id status email phone externalReference firstName lastName }
    errors { field code message }
  }
}"""


async def create_customer(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    """A customer created through the API; fails the test when the API refuses it."""
    data = await gql.data(CUSTOMER_CREATE, {"input": fields}, token)
    payload: dict[str, Any] = data["customerCreate"]
    assert payload["errors"] == [], payload["errors"]
    customer: dict[str, Any] = payload["customer"]
    return customer


async def create_store(gql: GraphQLClient, token: str, code: str, name: str = "") -> str:
    data = await gql.data(
        "mutation($n: String!, $c: String!) {"
        " storeCreate(name: $n, code: $c) { store { id } errors { code } } }",
        {"n": name or f"Store {code}", "c": code},
        token,
    )
    assert data["storeCreate"]["errors"] == []
    return str(data["storeCreate"]["store"]["id"])


@contextlib.asynccontextmanager
async def client_for(settings: Settings, redis: ArqRedis | None) -> AsyncIterator[GraphQLClient]:
    """A client of an app built with other settings (production, lower limits)."""
    app = create_app(settings, manage_resources=False, redis=redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield GraphQLClient(client)


AUDIT_EVENTS = """
query($subject: ID) {
  auditEvents(subjectId: $subject, first: 100) {
    nodes { action actorKind actorId subjectType subjectId details }
  }
}"""


async def audit_events(
    gql: GraphQLClient, token: str, subject_id: uuid.UUID | str | None = None
) -> list[dict[str, Any]]:
    """Audit events of the caller's organization, newest first."""
    variables = {"subject": str(subject_id)} if subject_id is not None else {}
    data = await gql.data(AUDIT_EVENTS, variables, token)
    nodes: list[dict[str, Any]] = data["auditEvents"]["nodes"]
    return nodes
