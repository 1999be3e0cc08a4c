"""Import jobs: run one (by id), and reconcile the queue with the database.

`run_import` is asked for by the imports service when the job row commits, with the
deterministic id `import:<id>` and the job id as its only argument. It is safe to run twice,
concurrently or in a row: the job row says what is left to do (see `app.imports.runner`). A
transient database failure gives the job back to the queue and asks arq to retry it; anything
else ends the job FAILED with a code. Ending a job asks for its after-import steps itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

from arq.worker import Retry, func

from app.config import Settings
from app.core.ids import try_parse_id
from app.imports.jobs import RUN_IMPORT
from app.imports.pool import shutdown_pool
from app.imports.reconcile import reconcile_imports
from app.imports.runner import TransientFailure, run_import
from app.imports.storage import ImportStorage

logger = logging.getLogger("workers.imports")

RETRY_DELAY = dt.timedelta(seconds=10)
RECONCILE_SECONDS = 5.0
_SUPERVISOR = "import_supervisor"


async def import_job(ctx: dict[str, Any], job_id: str) -> str:
    settings: Settings = ctx["settings"]
    parsed = try_parse_id(job_id)
    if parsed is None:
        return "skipped"
    try:
        return await run_import(parsed, settings)
    except TransientFailure as exc:
        raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc


async def reconcile_import_jobs(ctx: dict[str, Any]) -> int:
    settings: Settings = ctx["settings"]
    return await reconcile_imports(
        ctx["redis"], settings.import_stale_seconds, ImportStorage(settings.imports_root)
    )


async def _supervise(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    interval = max(1.0, min(RECONCILE_SECONDS, settings.import_stale_seconds))
    while True:
        await asyncio.sleep(interval)
        try:
            await reconcile_import_jobs(ctx)
        except Exception as exc:  # a passing database or Redis hiccup: try again later
            logger.warning("import reconcile failed: %s", type(exc).__name__)


async def start_import_supervisor(ctx: dict[str, Any], *, periodic: bool) -> None:
    """Reconcile once at worker start, then (long-running workers) every few seconds."""
    try:
        await reconcile_import_jobs(ctx)
    except Exception as exc:
        logger.warning("import reconcile at start failed: %s", type(exc).__name__)
    if periodic:
        ctx[_SUPERVISOR] = asyncio.create_task(_supervise(ctx))


async def stop_import_supervisor(ctx: dict[str, Any]) -> None:
    task: asyncio.Task[None] | None = ctx.pop(_SUPERVISOR, None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    shutdown_pool()


# keep_result=0: a finished run must not block a later enqueue under the same id. The job's own
# attempt counter bounds retries (arq's would fail a job its reconcile keeps reviving).
run_import_job = func(import_job, name=RUN_IMPORT, keep_result=0, max_tries=1000)
