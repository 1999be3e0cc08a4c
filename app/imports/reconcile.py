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
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix

from app.core.clock import utcnow
from app.core.jobs import send_now
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
        arq_id = jobs.arq_job_id(job.id)
        acted = False
        if job.updated_at < stale_before:
            # Nobody has touched it for a while: whoever held it is gone.
            acted = bool(await redis.delete(in_progress_key_prefix + arq_id))
        if await redis.exists(job_key_prefix + arq_id):
            if await redis.zscore(default_queue_name, arq_id) is None:
                await redis.zadd(default_queue_name, {arq_id: int(now.timestamp() * 1000)})
                acted = True
        else:
            acted = await send_now(jobs.run_import(job.id)) or acted
        revived += acted
    if revived:
        logger.info("reconciled %d import jobs", revived)
    return revived
