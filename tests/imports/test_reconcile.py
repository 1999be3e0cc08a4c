"""The database is the intent: reconciling Redis with the import jobs it holds."""

from __future__ import annotations

import datetime as dt

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix

from app.config import Settings
from app.core.clock import utcnow
from app.core.jobs import queue_bound, send_now
from app.imports.jobs import arq_job_id, run_import
from app.imports.reconcile import reconcile_imports
from app.imports.storage import ImportStorage
from app.models.imports import ImportJob, ImportStatus
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import csv_text, start

FILE = csv_text("Email", "a@example.com")


async def test_a_queued_job_redis_never_saw_is_enqueued(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), settings, FILE)
    assert not await arq_redis.exists(job_key_prefix + arq_job_id(job.id))
    with queue_bound(arq_redis):
        assert await reconcile_imports(arq_redis, 30) == 1
    assert await arq_redis.exists(job_key_prefix + arq_job_id(job.id))
    # Nothing more to do the second time.
    with queue_bound(arq_redis):
        assert await reconcile_imports(arq_redis, 30) == 0


async def test_a_running_job_whose_worker_died_is_freed(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), settings, FILE)
    with queue_bound(arq_redis):
        await send_now(run_import(job.id))
    key = in_progress_key_prefix + arq_job_id(job.id)
    await arq_redis.set(key, b"1", px=3_600_000)  # what a killed worker leaves behind
    await ImportJob.filter(id=job.id).update(status=ImportStatus.RUNNING, attempts=1)
    with queue_bound(arq_redis):
        assert await reconcile_imports(arq_redis, 30) == 0  # heartbeat fresh: a live worker
    assert await arq_redis.exists(key)
    silent = utcnow() - dt.timedelta(seconds=31)
    await ImportJob.filter(id=job.id).update(updated_at=silent)
    with queue_bound(arq_redis):
        assert await reconcile_imports(arq_redis, 30) == 1
    assert not await arq_redis.exists(key)
    assert await arq_redis.exists(job_key_prefix + arq_job_id(job.id))


async def test_files_of_ended_jobs_are_deleted(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), settings, FILE)
    path = settings.imports_root / job.file_path
    assert path.exists()
    await ImportJob.filter(id=job.id).update(status=ImportStatus.SUCCEEDED, finished_at=utcnow())
    await reconcile_imports(arq_redis, 30, ImportStorage(settings.imports_root))
    assert not path.exists()
