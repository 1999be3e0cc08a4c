from __future__ import annotations

import datetime as dt
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.graphql.enums import ActorKind, AuditAction
from app.models.audit import AuditEvent


@strawberry.type(name="AuditEvent")
class AuditEventType:
    id: strawberry.ID
    action: AuditAction
    actor_kind: ActorKind
    actor_id: strawberry.ID | None
    subject_type: str
    subject_id: strawberry.ID
    details: JSON
    created_at: dt.datetime

    @classmethod
    def from_model(cls, e: AuditEvent) -> AuditEventType:
        return cls(
            id=strawberry.ID(str(e.id)),
            action=e.action,
            actor_kind=e.actor_kind,
            actor_id=strawberry.ID(str(e.actor_id)) if e.actor_id else None,
            subject_type=e.subject_type,
            subject_id=strawberry.ID(str(e.subject_id)),
            details=cast(JSON, e.details),
            created_at=e.created_at,
        )
