from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.core.sorting import SortedPageRequest
from app.graphql.context import Info
from app.graphql.enums import ImportKind, ImportStatus
from app.graphql.imports.inputs import ImportJobSortInput
from app.graphql.imports.types import ImportJobType
from app.graphql.pagination import Connection, build_connection
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
        sort = sort_by.to_sort() if sort_by else IMPORT_JOB_SORTS.default
        request = SortedPageRequest.of(sort, first=first, after=after, last=last, before=before)
        page = await service.list_jobs(info.context.principal, request, kind=kind, status=status)
        return build_connection(page, ImportJobType.from_model, sort.cursor_for)
