from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.enums import ImportKind, ImportStatus
from app.graphql.imports.inputs import ImportJobSortInput
from app.graphql.imports.types import ImportJobType
from app.graphql.pagination import Connection, build_connection, sorted_request
from app.imports import service
from app.imports.sorting import IMPORT_JOB_SORTS


@strawberry.type
class ImportQueries:
    @strawberry.field(description="One import job: status, progress, counts, row errors.")
    async def import_job(self, info: Info, id: strawberry.ID) -> ImportJobType | None:
        job = await service.get_job(info.context.principal, parse_id(id))
        return ImportJobType.from_model(job) if job else None

    @strawberry.field(
        description="The import history, newest first unless `sortBy` says otherwise; "
        "first/after forward, last/before backward."
    )
    async def import_jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: ImportKind | None = None,
        status: ImportStatus | None = None,
        sort_by: ImportJobSortInput | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ImportJobType]:
        request = sorted_request(IMPORT_JOB_SORTS, sort_by, first, after, last, before)
        page = await service.list_jobs(info.context.principal, request, kind=kind, status=status)
        return build_connection(page, ImportJobType.from_model, request.sort.cursor_for)
