"""Who runs an import job: claiming it, the heartbeat, giving it back, ending it.

A run owns a job through its attempt number: `claim` bumps `attempts`, and every later write
of the run is conditioned on it, so an older run of the same job (a worker thought dead that
was only slow) changes nothing. A RUNNING job without a heartbeat for `import_stale_seconds`
may be claimed again.

Ending a job is where its after-import steps are asked for, in the transaction that ends it
(sent once it commits): an orders import that created orders asks for a segment refresh, as
lifecycle stages and RFM scores move with orders. A worker and `loyalty import --wait` end
jobs the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from app.consent.jobs import SEND_IMPORT_OPT_INS, send_import_opt_ins
from app.core.clock import utcnow
from app.core.jobs import Job, request_job
from app.core.transactions import atomic
from app.imports.errors import ImportErrorCode as Code
from app.imports.options import ImportOptions, SmsDoubleOptIn
from app.imports.progress import announce, announce_by_id
from app.imports.repository import jobs as repository
from app.imports.status import COMPLETED
from app.imports.storage import ImportStorage
from app.lifecycle.jobs import segment_refresh
from app.models.imports import ImportJob, ImportKind, ImportStatus

HEARTBEAT_SECONDS = 1.0


async def claim(job_id: uuid.UUID, stale_seconds: float) -> ImportJob | None:
    """Take a QUEUED job, or a RUNNING one whose runner went silent; None otherwise."""
    now = utcnow()
    async with atomic() as conn:
        job = await repository.locked(job_id, conn)
        if job is None:
            return None
        silent = job.updated_at < now - dt.timedelta(seconds=stale_seconds)
        if not (
            job.status is ImportStatus.QUEUED or (job.status is ImportStatus.RUNNING and silent)
        ):
            return None
        job.status = ImportStatus.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or now
        await job.save(
            update_fields=["status", "attempts", "started_at", "updated_at"], using_db=conn
        )
    await announce(job)
    return job


async def release(job_id: uuid.UUID, attempt: int) -> None:
    """Give a job back to the queue (a shutdown or a retry), so the next run starts at once."""
    if await repository.update(
        job_id,
        attempt=attempt,
        in_status=ImportStatus.RUNNING,
        status=ImportStatus.QUEUED,
        updated_at=utcnow(),
    ):
        await announce_by_id(job_id)


def after_import(job: ImportJob) -> list[Job]:
    """The jobs an ended import asks for: a segment refresh when it completed and created
    orders (lifecycle stages and RFM scores move with orders); the double opt-in texts of the
    customers it put in SMS PENDING when it asked for them IMMEDIATELY (and not yet: staff may
    have sent them already with `importSmsScheduleUpdate`). `finish` records that they were
    asked for (`sms_started_at`); an AT schedule is the minute cron's
    (`app.imports.sms_schedule`), which reads the schedule staff may still change."""
    if job.status not in COMPLETED or job.dry_run:
        return []
    if job.kind is ImportKind.ORDERS and job.created_count > 0:
        return [segment_refresh(job.organization_id)]  # type: ignore[arg-type]
    if job.kind is ImportKind.CUSTOMERS:
        sms = ImportOptions.from_json(job.options).sms_double_opt_in
        if sms.send is SmsDoubleOptIn.IMMEDIATELY and job.sms_started_at is None:
            org_id, job_id = uuid.UUID(str(job.organization_id)), uuid.UUID(str(job.id))
            return [send_import_opt_ins(org_id, job_id)]
    return []


async def finish(
    job_id: uuid.UUID,
    attempt: int,
    status: ImportStatus,
    storage: ImportStorage,
    code: Code | None = None,
    message: str | None = None,
) -> bool:
    """End this run's job with `status`; False when the run no longer owns it."""
    now = utcnow()
    changes: dict[str, Any] = {"status": status, "finished_at": now, "updated_at": now}
    if code is not None:
        changes["error_code"] = code.value
        changes["error_message"] = (message or "")[:500]
    async with atomic() as conn:
        done = await repository.update(
            job_id, conn, attempt=attempt, in_status=ImportStatus.RUNNING, **changes
        )
        if not done:
            return False
        job = await repository.locked(job_id, conn)
        assert job is not None
        for follow_up in after_import(job):
            if follow_up.function == SEND_IMPORT_OPT_INS:
                # Recorded once: the schedule can no longer change, nor fire again.
                job.sms_started_at = now
                await repository.update(job_id, conn, sms_started_at=now)
            await request_job(follow_up)
    storage.delete(job.file_path)
    await announce(job)
    return True


@contextlib.asynccontextmanager
async def heartbeat(
    job_id: uuid.UUID, attempt: int, progress: Callable[[], dict[str, Any]] | None = None
) -> AsyncIterator[None]:
    """Keep `updated_at` fresh (and `progress()`'s fields, e.g. rows counted so far) through a
    long phase that commits no batch."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            extra = progress() if progress is not None else {}
            await repository.update(job_id, attempt=attempt, updated_at=utcnow(), **extra)
            if extra:
                # Rows counted so far, for live progress while the file is scanned.
                await announce_by_id(job_id)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
