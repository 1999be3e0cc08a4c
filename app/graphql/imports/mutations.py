from __future__ import annotations

import logging
from typing import Any

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import ImportJobError
from app.graphql.imports.inputs import ImportStartInput, SmsDoubleOptInInput
from app.graphql.imports.types import ImportJobType
from app.graphql.payloads import Payload
from app.imports import service, sms_schedule
from app.imports.errors import ImportErrorCode

logger = logging.getLogger("app.graphql")


@strawberry.type
class ImportJobPayload(Payload):
    import_job: ImportJobType | None = None
    errors: list[ImportJobError] = strawberry.field(default_factory=list)


@strawberry.type
class ImportMutations:
    @strawberry.mutation(
        description="Upload a CSV (multipart) and start importing it. A file that cannot be "
        "imported at all gives a FAILED job with `errorCode`; a wrong request gives `errors`."
    )
    async def import_start(self, info: Info, input: ImportStartInput) -> ImportJobPayload:
        principal = info.context.principal
        upload: Any = input.file
        source = getattr(upload, "file", None)
        if source is None:
            return ImportJobPayload.failed(
                DomainError(ImportErrorCode.INVALID, "Send the file as a multipart upload.", "file")
            )
        try:
            job = await service.start_import(
                principal,
                info.context.settings,
                kind=input.kind,
                source=source,
                file_name=getattr(upload, "filename", None),
                options=input.to_options(),
                dry_run=input.dry_run,
            )
        except DomainError as exc:
            return ImportJobPayload.failed(exc)
        return ImportJobPayload(import_job=ImportJobType.from_model(job))

    @strawberry.mutation(
        description="Cancel an import: a queued one at once, a running one after its current "
        "batch. Rows already imported stay imported."
    )
    async def import_cancel(self, info: Info, id: strawberry.ID) -> ImportJobPayload:
        try:
            job = await service.cancel_job(
                info.context.principal, info.context.settings, parse_id(id)
            )
        except DomainError as exc:
            return ImportJobPayload.failed(exc)
        return ImportJobPayload(import_job=ImportJobType.from_model(job))

    @strawberry.mutation(
        description="Change when a customers import's double opt-in texts go out, until they "
        "have gone: NEVER cancels a pending AT; IMMEDIATELY on a completed import sends now; "
        "AT a future time sends then (each recipient still in their quiet hours)."
    )
    async def import_sms_schedule_update(
        self, info: Info, import_job_id: strawberry.ID, schedule: SmsDoubleOptInInput
    ) -> ImportJobPayload:
        try:
            job = await sms_schedule.update_sms_schedule(
                info.context.principal, parse_id(import_job_id), schedule.to_schedule()
            )
        except DomainError as exc:
            return ImportJobPayload.failed(exc)
        return ImportJobPayload(import_job=ImportJobType.from_model(job))
