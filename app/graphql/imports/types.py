from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any

import strawberry

from app.core.errors import InvalidArgument, PublicErrorCode
from app.core.pagination import MAX_PAGE_SIZE
from app.graphql.context import Info
from app.graphql.enums import (
    ImportKind,
    ImportPolicy,
    ImportStatus,
    MatchKey,
    RowErrorCode,
    SmsDoubleOptIn,
)
from app.imports import service
from app.imports.errors import ImportErrorCode
from app.imports.options import ImportOptions
from app.models.imports import ImportJob, ImportRowError

_ERROR_CURSOR = "e1:"


def job_error_code(code: str | None) -> ImportErrorCode | None:
    if not code:
        return None
    if code in ImportErrorCode._value2member_map_:
        return ImportErrorCode(code)
    return ImportErrorCode.INTERNAL


def error_report_path(job_id: uuid.UUID) -> str:
    """Where the row-error CSV is downloaded (authenticated; only ids in the URL)."""
    return f"/imports/{job_id}/errors.csv"


def encode_error_cursor(error_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_ERROR_CURSOR}{error_id}".encode()).decode()


def decode_error_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_ERROR_CURSOR):
            raise ValueError("unknown cursor version")
        return int(text[len(_ERROR_CURSOR) :])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument("The cursor is not valid for this connection.") from None


@strawberry.type(name="ImportColumn", description="One column of the file and the field it feeds.")
class ImportColumnType:
    column: str
    field: str | None = strawberry.field(
        description="A customer or order field, `traits.<key>`, or null when ignored."
    )


@strawberry.type(name="ImportCounts")
class ImportCountsType:
    total: int = strawberry.field(description="Rows in the file (blank rows not counted).")
    processed: int
    created: int
    updated: int
    unchanged: int
    invalid: int = strawberry.field(description="Rows not taken; see `rowErrors`.")
    suppressed: int = strawberry.field(
        description="Rows matching a customer that cannot be written to (erased or merged): "
        "skipped and only counted."
    )


@strawberry.type(
    name="SmsDoubleOptIn",
    description="When the double opt-in texts go out to customers the import put in SMS "
    "PENDING; `importSmsScheduleUpdate` changes it until `startedAt`.",
)
class SmsDoubleOptInType:
    send: SmsDoubleOptIn
    at: dt.datetime | None
    started_at: dt.datetime | None = strawberry.field(
        description="When the texts were asked for (the schedule fired); null until then."
    )


@strawberry.type(
    name="ImportSmsTexts",
    description="The import's double opt-in texts in the outbox, by where they are.",
)
class ImportSmsTextsType:
    queued: int = strawberry.field(
        description="Waiting to go: for a worker, a retry or the recipient's quiet hours."
    )
    sent: int = strawberry.field(description="Handed to the SMS provider.")
    failed: int = strawberry.field(
        description="Not sent: refused, unconfirmed, or no longer due (a STOP, a lapse)."
    )


@strawberry.type(name="ImportRowError", description="Why one row was not taken (no values).")
class ImportRowErrorType:
    row: int = strawberry.field(
        description="Row number as a spreadsheet shows it: the header is row 1."
    )
    column: str | None
    code: RowErrorCode
    message: str

    @classmethod
    def from_model(cls, e: ImportRowError) -> ImportRowErrorType:
        code = (
            RowErrorCode(e.code)
            if e.code in RowErrorCode._value2member_map_
            else RowErrorCode.INVALID
        )
        return cls(row=e.row_number, column=e.column, code=code, message=e.message)


@strawberry.type
class ImportRowErrorEdge:
    cursor: str
    node: ImportRowErrorType


@strawberry.type
class ImportRowErrorPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class ImportRowErrorConnection:
    edges: list[ImportRowErrorEdge]
    page_info: ImportRowErrorPageInfo

    @strawberry.field
    def nodes(self) -> list[ImportRowErrorType]:
        return [edge.node for edge in self.edges]


@strawberry.type(name="ImportJob", description="One file import: its settings, progress and end.")
class ImportJobType:
    id: strawberry.ID
    kind: ImportKind
    status: ImportStatus
    dry_run: bool = strawberry.field(
        description="A dry run validates and matches every row and counts what would happen; "
        "it writes no customer or order."
    )
    file_name: str
    file_size: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    updated_at: dt.datetime
    created_by_id: strawberry.ID | None
    cancel_requested: bool
    counts: ImportCountsType
    error_code: ImportErrorCode | None = strawberry.field(
        description="Set when the job FAILED: why the file as a whole could not be imported."
    )
    error_message: str | None
    policy: ImportPolicy
    match_key: list[MatchKey] = strawberry.field(description="Match keys, by priority.")
    sms_double_opt_in: SmsDoubleOptInType
    unmapped_columns_as_traits: bool
    award_points: bool
    columns: list[ImportColumnType]
    encoding: str | None
    delimiter: str | None
    job_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Share of the rows processed, 0 to 1.")
    def progress(self) -> float:
        if self.status in (ImportStatus.SUCCEEDED, ImportStatus.PARTIAL):
            return 1.0
        total = self.counts.total
        return min(1.0, self.counts.processed / total) if total else 0.0

    @strawberry.field(
        description="Path of the row-error report (CSV: row, column, code, message), "
        "downloaded with the same Authorization header."
    )
    def error_report_url(self) -> str:
        return error_report_path(self.job_id)

    @strawberry.field(description="Its double opt-in texts: queued, sent, failed.")
    async def sms_texts(self, info: Info) -> ImportSmsTextsType:
        texts = await info.context.loaders.import_texts.load(self.job_id)
        return ImportSmsTextsType(queued=texts.queued, sent=texts.sent, failed=texts.failed)

    @strawberry.field(description="Row errors in file order.")
    async def row_errors(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> ImportRowErrorConnection:
        if not 0 <= first <= MAX_PAGE_SIZE:
            raise InvalidArgument(
                f"`first` must be between 0 and {MAX_PAGE_SIZE}.", PublicErrorCode.PAGINATION_LIMIT
            )
        page = await service.list_row_errors(
            info.context.principal,
            self.job_id,
            first,
            decode_error_cursor(after) if after else None,
        )
        edges = [
            ImportRowErrorEdge(
                cursor=encode_error_cursor(int(e.id)), node=ImportRowErrorType.from_model(e)
            )
            for e in page.items
        ]
        return ImportRowErrorConnection(
            edges=edges,
            page_info=ImportRowErrorPageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @classmethod
    def from_model(cls, job: ImportJob) -> ImportJobType:
        options = ImportOptions.from_json(job.options)
        state: dict[str, Any] = dict(job.options.get("state") or {})
        layout: dict[str, Any] = dict(state.get("layout") or {})
        return cls(
            id=strawberry.ID(str(job.id)),
            job_id=job.id,
            kind=job.kind,
            status=job.status,
            dry_run=job.dry_run,
            file_name=job.file_name,
            file_size=job.file_size,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            updated_at=job.updated_at,
            created_by_id=strawberry.ID(str(job.created_by_id)) if job.created_by_id else None,
            cancel_requested=job.cancel_requested,
            counts=ImportCountsType(
                total=job.total_rows,
                processed=job.processed_rows,
                created=job.created_count,
                updated=job.updated_count,
                unchanged=job.unchanged_count,
                invalid=job.invalid_count,
                suppressed=job.suppressed_count,
            ),
            error_code=job_error_code(job.error_code),
            error_message=job.error_message,
            policy=options.policy,
            match_key=list(options.match_keys),
            sms_double_opt_in=SmsDoubleOptInType(
                send=options.sms_double_opt_in.send,
                at=options.sms_double_opt_in.at,
                started_at=job.sms_started_at,
            ),
            unmapped_columns_as_traits=options.unmapped_as_traits,
            award_points=options.award_points,
            columns=[
                ImportColumnType(column=str(c["column"]), field=c.get("field"))
                for c in state.get("columns") or []
            ],
            encoding=layout.get("encoding"),
            delimiter=layout.get("delimiter"),
        )
