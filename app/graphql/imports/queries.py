from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.graphql.context import Info
from app.graphql.enums import ImportKind, ImportStatus
from app.graphql.imports.types import ImportJobType
from app.graphql.pagination import Connection, build_connection
from app.imports import service


@strawberry.type
class ImportQueries:
    @strawberry.field(description="One import job: status, progress, counts, row errors.")
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJobType | None:
        job = await service.get_job(info.context.principal, parse_id(id))
        return ImportJobType.from_model(job) if job else None

    @strawberry.field(description="The import history, newest first.")
    async def import_jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: ImportKind | None = None,
        status: ImportStatus | None = None,
    ) -> Connection[ImportJobType]:
        page = await service.list_jobs(
            info.context.principal, PageRequest.of(first, after), kind=kind, status=status
        )
        return build_connection(page, ImportJobType.from_model)
