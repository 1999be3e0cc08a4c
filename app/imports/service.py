"""Import jobs as staff see them: start one from a file, watch it, list the history, cancel,
read its row errors. Every call takes the principal and stays inside its organization.

Starting a job stores the file, reads its header and maps the columns at once, so a file that
cannot be imported at all (empty, not CSV, no identifier column, ...) is recorded as a FAILED
job with the reason, and a good one is QUEUED and its run requested (sent once the job row
is committed).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal, PrincipalKind
from app.config import Settings
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.ids import new_id
from app.core.jobs import request_job
from app.core.keyset import sorted_page
from app.core.live.follow import LiveLimits
from app.core.pagination import Page
from app.core.sorting import SortedPageRequest
from app.core.transactions import atomic
from app.imports import jobs
from app.imports.csvfile import sniff
from app.imports.errors import ImportErrorCode as Code
from app.imports.mapping import check_plan, header_looks_like_data, resolve
from app.imports.options import ImportOptions
from app.imports.progress import ImportProgress, announce, watch
from app.imports.repository import jobs as repository
from app.imports.status import FINAL
from app.imports.storage import FileTooLarge, ImportStorage
from app.models.audit import AuditAction
from app.models.imports import ImportJob, ImportKind, ImportRowError, ImportStatus

MAX_FILE_NAME = 255
REPORT_CHUNK = 2000
# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _clean_file_name(name: str | None) -> str:
    base = PurePath((name or "").replace("\\", "/")).name.strip()
    printable = "".join(ch for ch in base if ch.isprintable())
    return printable[:MAX_FILE_NAME] or "upload.csv"


async def start_import(
    principal: Principal,
    settings: Settings,
    *,
    kind: ImportKind,
    source: BinaryIO,
    file_name: str | None,
    options: ImportOptions,
    dry_run: bool = False,
) -> ImportJob:
    """Store the file and record the job: QUEUED, or FAILED with why the file cannot work.

    Refused with a DomainError (no job recorded) when the request itself is wrong: an option,
    a mapping naming an unknown column or field, a file over the size limit.
    """
    principal.require(Operation.IMPORT_RUN)
    options = options.validated(utcnow())
    storage = ImportStorage(settings.imports_root)
    job_id = new_id()
    relative = storage.relative_path(principal.organization_id, job_id)
    try:
        stored = await asyncio.to_thread(storage.store, source, relative, settings.max_upload_bytes)
    except FileTooLarge:
        raise DomainError(
            Code.FILE_TOO_LARGE,
            f"The file is larger than {settings.max_upload_bytes // (1024 * 1024)} MiB.",
            "file",
        ) from None
    try:
        status, state, failure = await asyncio.to_thread(
            _inspect, storage.path(relative), kind, options
        )
    except DomainError:
        storage.delete(relative)
        raise
    job = ImportJob(
        id=job_id,
        organization_id=principal.organization_id,
        kind=kind,
        status=status,
        dry_run=dry_run,
        file_path=relative,
        file_name=_clean_file_name(file_name),
        file_size=stored.size,
        file_sha256=stored.sha256,
        options={**options.to_json(), "state": state},
        # The minute cron sends an AT schedule's texts once the import has completed.
        sms_send_at=None if dry_run else options.sms_double_opt_in.due_at,
        created_by_id=principal.subject_id if principal.kind is PrincipalKind.STAFF else None,
    )
    if failure is not None:
        job.error_code = failure.code.value
        job.error_message = failure.message[:500]
        job.finished_at = utcnow()
    try:
        async with atomic() as conn:
            await job.save(using_db=conn, force_create=True)
            await audit.record(
                principal,
                AuditAction.IMPORT_STARTED,
                "import_job",
                job.id,
                {
                    "kind": kind.value,
                    "dryRun": dry_run,
                    "policy": options.policy.value,
                    "status": status.value,
                    "fileSize": stored.size,
                },
                using_db=conn,
            )
            if status is ImportStatus.QUEUED:
                await request_job(jobs.run_import(job.id))
    except BaseException:
        storage.delete(relative)
        raise
    if failure is not None:
        storage.delete(relative)
    return job


def _inspect(
    path: Path, kind: ImportKind, options: ImportOptions
) -> tuple[ImportStatus, dict[str, object], DomainError | None]:
    """(status, state for the runner, the file's problem). Mapping mistakes raise."""
    try:
        layout = sniff(path, encoding=options.encoding, delimiter=options.delimiter)
    except DomainError as problem:
        return ImportStatus.FAILED, {}, problem
    headers = list(layout.header)
    if header_looks_like_data(headers):
        return (
            ImportStatus.FAILED,
            {"layout": layout.to_json()},
            DomainError(
                Code.NO_HEADER,
                "The first row holds data, not column names: add a header row.",
                "file",
            ),
        )
    plan = resolve(kind, headers, options.mapping, options.unmapped_as_traits)
    state: dict[str, object] = {"layout": layout.to_json(), "columns": plan.to_json()}
    try:
        check_plan(plan)
    except DomainError as problem:
        return ImportStatus.FAILED, state, problem
    return ImportStatus.QUEUED, state, None


async def get_job(principal: Principal, job_id: uuid.UUID) -> ImportJob | None:
    principal.require(Operation.IMPORT_RUN)
    return await repository.of_organization(principal.organization_id, job_id)


async def list_jobs(
    principal: Principal,
    page: SortedPageRequest,
    *,
    kind: ImportKind | None = None,
    status: ImportStatus | None = None,
) -> Page[ImportJob]:
    """The import history in the order of `page.sort` (newest first by default)."""
    principal.require(Operation.IMPORT_RUN)
    return await sorted_page(repository.history(principal.organization_id, kind, status), page)


async def cancel_job(principal: Principal, settings: Settings, job_id: uuid.UUID) -> ImportJob:
    """Stop a job: a queued one at once, a running one after the batch in progress (rows
    already committed stay imported). A job whose worker is gone is cancelled at once too."""
    principal.require(Operation.IMPORT_RUN)
    now = utcnow()
    async with atomic() as conn:
        job = await repository.locked(job_id, conn, principal.organization_id)
        if job is None:
            raise DomainError(Code.NOT_FOUND, "No such import.", "id")
        if job.status in FINAL:
            raise DomainError(Code.NOT_CANCELLABLE, "The import has already ended.", "id")
        silent = job.updated_at < now - dt.timedelta(seconds=settings.import_stale_seconds)
        if job.status is ImportStatus.QUEUED or silent:
            job.status = ImportStatus.CANCELLED
            job.finished_at = now
        job.cancel_requested = True
        await job.save(
            update_fields=["status", "finished_at", "cancel_requested", "updated_at"],
            using_db=conn,
        )
        await audit.record(
            principal, AuditAction.IMPORT_CANCELLED, "import_job", job.id, using_db=conn
        )
    if job.status is ImportStatus.CANCELLED:
        ImportStorage(settings.imports_root).delete(job.file_path)
    await announce(job)
    return job


async def watch_progress(
    principal: Principal, job_id: uuid.UUID, limits: LiveLimits
) -> AsyncGenerator[ImportProgress, None]:
    """A job's progress now and at every change until it ends (`importJobProgress`)."""
    async with aclosing(watch(principal, job_id, limits)) as states:
        async for progress in states:
            yield progress


@dataclass(frozen=True)
class RowErrorPage:
    items: list[ImportRowError]
    has_next_page: bool


async def list_row_errors(
    principal: Principal, job_id: uuid.UUID, first: int, after: int | None
) -> RowErrorPage:
    """Row errors in file order; `after` is the id of the last error of the previous page."""
    job = await get_job(principal, job_id)
    if job is None:
        return RowErrorPage([], False)
    rows = await repository.row_errors(job.id, after, first + 1)
    return RowErrorPage(list(rows[:first]), len(rows) > first)


def _neutralize(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs: formula starts get a leading quote."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


async def error_report(principal: Principal, job_id: uuid.UUID) -> AsyncIterator[str] | None:
    """The row errors as CSV text chunks (row, column, code, message); None when no such job."""
    job = await get_job(principal, job_id)
    if job is None:
        return None

    async def chunks() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["row", "column", "code", "message"])
        last_id = 0
        while True:
            rows = await repository.row_errors(job.id, last_id, REPORT_CHUNK)
            for error in rows:
                writer.writerow(
                    [
                        error.row_number,
                        _neutralize(error.column or ""),
                        _neutralize(error.code),
                        _neutralize(error.message),
                    ]
                )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(rows) < REPORT_CHUNK:
                return
            last_id = int(rows[-1].id)

    return chunks()
