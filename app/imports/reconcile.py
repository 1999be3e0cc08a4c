"""Making Redis agree with the database about import jobs: the job rows are the intent.

Run when a worker starts and every few seconds after. For each QUEUED or RUNNING job:
- a RUNNING job with a fresh heartbeat belongs to a live worker: left alone;
- otherwise it needs a run. When its worker was killed, arq's queue still holds it but its
  "in progress" key blocks it until that key expires (an hour): the key is dropped. When Redis
  lost it (or it was never sent), it is sent again under the same id, `import:<id>`, to the
  queue bound to this task (`app.core.jobs`; the worker binds its own Redis).
A run of a job that is in fact still alive is harmless: `lease.claim` refuses a RUNNING job
with a fresh heartbeat, and the attempt check stops an older run at its next batch.
"""

from __future__ import annotations

import datetime as dt
import logging

from arq.connections import ArqRedis

from app.core.clock import utcnow
from app.core.jobs import queue_bound, revive
from app.imports import jobs
from app.imports.repository import jobs as repository
from app.imports.storage import ImportStorage
from app.models.imports import ImportStatus

logger = logging.getLogger("app.imports")


async def reconcile_imports(
    redis: ArqRedis, stale_seconds: float, storage: ImportStorage | None = None
) -> int:
    """Re-enqueue or unblock every import job that should be running; returns how many.

    With `storage`, also deletes the uploaded file of jobs that ended in the last day and
    still have one (a process that died between ending a job and deleting its file).
    """
    now = utcnow()
    if storage is not None:
        for relative in await repository.files_of_jobs_ended_since(now - dt.timedelta(days=1)):
            storage.delete(relative)
    stale_before = now - dt.timedelta(seconds=stale_seconds)
    revived = 0
    for job in await repository.active():
        if job.status is ImportStatus.RUNNING and job.updated_at >= stale_before:
            continue
        # Untouched for a while: whoever held it is gone, so its hold in Redis goes too.
        with queue_bound(redis):
            revived += await revive(
                jobs.run_import(job.id), release_hold=job.updated_at < stale_before
            )
    if revived:
        logger.info("reconciled %d import jobs", revived)
    return revived
