"""Making Redis agree with the database about import jobs: the job rows are the intent.

Run when a worker starts and every few seconds after. For each QUEUED or RUNNING job:
- a RUNNING job with a fresh heartbeat belongs to a live worker: left alone;
- otherwise it needs a run. When its worker was killed, arq's queue still holds it but its
  "in progress" key blocks it until that key expires (an hour): the key is dropped. When Redis
  lost it (or it was never enqueued), it is enqueued again under the same id, `import:<id>`.
A run of a job that is in fact still alive is harmless: `runner.claim` refuses a RUNNING job
with a fresh heartbeat, and the attempt check stops an older run at its next batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from arq.connections import ArqRedis
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix

from app.core.clock import utcnow
from app.imports.status import ACTIVE, FINAL
from app.imports.storage import ImportStorage
from app.models.imports import ImportJob, ImportStatus

logger = logging.getLogger("app.imports")

RUN_IMPORT = "run_import"


def arq_job_id(job_id: uuid.UUID) -> str:
    return f"import:{job_id}"


async def enqueue_import(redis: ArqRedis, job_id: uuid.UUID) -> bool:
    """Enqueue one job by id only (no personal data in Redis); False when already queued."""
    job = await redis.enqueue_job(RUN_IMPORT, str(job_id), _job_id=arq_job_id(job_id))
    return job is not None


async def reconcile_imports(
    redis: ArqRedis, stale_seconds: float, storage: ImportStorage | None = None
) -> int:
    """Re-enqueue or unblock every import job that should be running; returns how many.

    With `storage`, also deletes the uploaded file of jobs that ended in the last day and
    still have one (a process that died between ending a job and deleting its file).
    """
    now = utcnow()
    if storage is not None:
        ended = await ImportJob.filter(
            status__in=list(FINAL), finished_at__gte=now - dt.timedelta(days=1)
        ).values_list("file_path", flat=True)
        for relative in ended:
            storage.delete(str(relative))
    stale_before = now - dt.timedelta(seconds=stale_seconds)
    jobs = await ImportJob.filter(status__in=list(ACTIVE)).only("id", "status", "updated_at")
    revived = 0
    for job in jobs:
        if job.status is ImportStatus.RUNNING and job.updated_at >= stale_before:
            continue
        arq_id = arq_job_id(job.id)
        acted = False
        if job.updated_at < stale_before:
            # Nobody has touched it for a while: whoever held it is gone.
            acted = bool(await redis.delete(in_progress_key_prefix + arq_id))
        if await redis.exists(job_key_prefix + arq_id):
            if await redis.zscore(default_queue_name, arq_id) is None:
                await redis.zadd(default_queue_name, {arq_id: int(now.timestamp() * 1000)})
                acted = True
        else:
            acted = await enqueue_import(redis, job.id) or acted
        revived += acted
    if revived:
        logger.info("reconciled %d import jobs", revived)
    return revived
