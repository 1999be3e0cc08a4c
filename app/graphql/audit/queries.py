from __future__ import annotations

import strawberry

from app.audit import service
from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.graphql.audit.types import AuditEventType
from app.graphql.context import Info
from app.graphql.pagination import Connection, build_connection


@strawberry.type
class AuditQueries:
    @strawberry.field(description="The append-only audit log, newest first.")
    async def audit_events(
        self,
        info: Info,
        subject_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEventType]:
        page = await service.list_events(
            info.context.principal,
            PageRequest.of(first, after),
            subject_id=parse_id(subject_id, "subjectId") if subject_id else None,
        )
        return build_connection(page, AuditEventType.from_model)
