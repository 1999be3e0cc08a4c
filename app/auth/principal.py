"""The authenticated subject every service call receives.

The organization comes from the credential and nowhere else: services scope every query by
`principal.organization_id`, and no GraphQL argument can name another organization.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from app.auth.permissions import ApiKeyScope, Operation, role_allows, scopes_allow
from app.core.errors import Forbidden
from app.models.audit import ActorKind
from app.models.staff import Role


class PrincipalKind(StrEnum):
    STAFF = "STAFF"
    API_KEY = "API_KEY"
    # The CLI and the workers acting for an organization.
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class Principal:
    organization_id: uuid.UUID
    kind: PrincipalKind
    subject_id: uuid.UUID | None = None
    role: Role | None = None
    scopes: frozenset[ApiKeyScope] = field(default_factory=frozenset)

    @classmethod
    def system(cls, organization_id: uuid.UUID) -> Principal:
        return cls(organization_id=organization_id, kind=PrincipalKind.SYSTEM)

    def can(self, operation: Operation) -> bool:
        if self.kind is PrincipalKind.SYSTEM:
            return True
        if self.kind is PrincipalKind.STAFF:
            return self.role is not None and role_allows(self.role, operation)
        return scopes_allow(self.scopes, operation)

    def require(self, operation: Operation) -> None:
        if not self.can(operation):
            raise Forbidden(f"This credential may not perform `{operation.value}`.")

    def require_any(self, *operations: Operation) -> None:
        if not any(self.can(op) for op in operations):
            raise Forbidden(f"This credential may not perform `{operations[0].value}`.")

    def require_system(self) -> None:
        """For tasks only the system runs (schedules, recomputes): no role or scope grants them."""
        if self.kind is not PrincipalKind.SYSTEM:
            raise Forbidden("Only the system may perform this task.")

    @property
    def holder(self) -> str:
        """Who holds the credential, as limits count it: an API key, or a staff member over
        all of their sessions (ids only, never personal data)."""
        return f"{self.kind.value.lower()}:{self.subject_id or self.organization_id}"

    @property
    def actor_kind(self) -> ActorKind:
        return {
            PrincipalKind.STAFF: ActorKind.STAFF,
            PrincipalKind.API_KEY: ActorKind.API_KEY,
            PrincipalKind.SYSTEM: ActorKind.SYSTEM,
        }[self.kind]
