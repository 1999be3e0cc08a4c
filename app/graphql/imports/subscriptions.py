"""`importJobProgress`: an import job's state and counts as they change, until it ends."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.enums import ImportStatus
from app.graphql.errors import LiveProgressError
from app.graphql.imports.types import job_error_code
from app.graphql.live import live_limits, payloads
from app.graphql.payloads import Payload
from app.imports import service
from app.imports.errors import ImportErrorCode
from app.imports.progress import ImportProgress


@strawberry.type(description="An import job's state and counts at one moment: ids and numbers.")
class ImportJobProgress:
    id: strawberry.ID
    status: ImportStatus
    total_rows: int = strawberry.field(description="Data rows in the file (grows while counted).")
    processed_rows: int
    created_count: int
    updated_count: int
    unchanged_count: int
    invalid_count: int
    suppressed_count: int
    error_code: ImportErrorCode | None = strawberry.field(
        description="Why the job FAILED; read `importJob` for the message."
    )
    done: bool = strawberry.field(description="The job ended: this is the last event.")

    @classmethod
    def of(cls, progress: ImportProgress) -> ImportJobProgress:
        return cls(
            id=strawberry.ID(str(progress.job_id)),
            status=progress.status,
            total_rows=progress.total_rows,
            processed_rows=progress.processed_rows,
            created_count=progress.created,
            updated_count=progress.updated,
            unchanged_count=progress.unchanged,
            invalid_count=progress.invalid,
            suppressed_count=progress.suppressed,
            error_code=job_error_code(progress.error_code),
            done=progress.ended,
        )


@strawberry.type
class ImportJobProgressPayload(Payload):
    progress: ImportJobProgress | None = None
    errors: list[LiveProgressError] = strawberry.field(default_factory=list)


@strawberry.type
class ImportSubscriptions:
    @strawberry.subscription(
        description="An import job's progress: its state now, then at every change (each "
        "committed batch), ending after the event with `done: true`. A refusal (unknown job, "
        "too many subscriptions open) is one event with `errors`, then the end."
    )
    async def import_job_progress(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[ImportJobProgressPayload, None]:
        stream = service.watch_progress(info.context.principal, parse_id(id), live_limits(info))
        async for payload in payloads(
            stream,
            lambda p: ImportJobProgressPayload(progress=ImportJobProgress.of(p)),
            ImportJobProgressPayload.failed,
        ):
            yield payload
