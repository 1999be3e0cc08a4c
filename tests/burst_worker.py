"""A real arq worker in burst mode, for tests that need their queued jobs run."""

from __future__ import annotations

from app.config import Settings
from workers.settings import build_worker


async def run_worker(settings: Settings, redis_url: str) -> int:
    """Run every queued (and deferred) job, then stop; the number of jobs run.

    Without the cron jobs: a cron boundary falling inside the run (the outbox reconcile runs
    every minute) would add a job of its own and make counts flaky.
    """
    worker = build_worker(settings, redis_url, manage_db=False, burst=True)
    worker.cron_jobs = []
    try:
        completed: int = await worker.run_check()
    finally:
        await worker.close()
    return completed
