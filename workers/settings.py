"""arq worker configuration shared by `loyalty worker` and the in-process worker of `loyalty run`.

Every job is a thin function: load by id, check state, call the service. Job intent lives in
the database, so a lost Redis loses nothing that cannot be re-enqueued.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Function, Worker

from app.config import Settings
from app.core import blocklist, jobs
from app.core.jobs import Job
from app.db import close_db, init_db
from app.metrics.endpoint import MetricsExporter
from app.metrics.jobs import instrument_cron_jobs, instrument_functions
from workers.campaigns import run_campaign_job, sweep_campaigns
from workers.consent import (
    lapse_sms_requests,
    send_import_opt_ins_job,
    send_scheduled_import_texts,
)
from workers.duplicates import (
    refresh_all_duplicate_suggestions,
    refresh_duplicate_suggestions_job,
)
from workers.imports import run_import_job, start_import_supervisor, stop_import_supervisor
from workers.lifecycle import refresh_all_segments, refresh_segments_job
from workers.maintenance import purge_expired_sessions, purge_verification_codes
from workers.messages import (
    reconcile_messages,
    send_message_job,
    start_providers,
    stop_providers,
)
from workers.personas import reconcile_personas, refresh_due_personas, regenerate_personas_job
from workers.predictions import refit_all_predictions, refit_predictions_job
from workers.privacy import (
    carry_out_privacy_request_job,
    delete_expired_exports,
    resend_privacy_requests,
)
from workers.reconnecting import ReconnectingWorker
from workers.wallets import birthday_rewards, expire_points

FUNCTIONS: list[Any] = [
    purge_expired_sessions,
    refresh_segments_job,
    refit_predictions_job,
    birthday_rewards,
    expire_points,
    run_import_job,
    regenerate_personas_job,
    refresh_due_personas,
    reconcile_personas,
    refresh_duplicate_suggestions_job,
    carry_out_privacy_request_job,
    resend_privacy_requests,
    delete_expired_exports,
    send_message_job,
    reconcile_messages,
    purge_verification_codes,
    lapse_sms_requests,
    send_import_opt_ins_job,
    # Also a cron; listed so a test (or an operator) can ask for a run at once.
    send_scheduled_import_texts,
    run_campaign_job,
    sweep_campaigns,
]


def registered(name: str) -> Callable[..., Awaitable[Any]]:
    """The coroutine a worker runs for jobs of function `name`."""
    for function in FUNCTIONS:
        if isinstance(function, Function):
            if function.name == name:
                return function.coroutine
        elif getattr(function, "__name__", None) == name:
            return cast("Callable[..., Awaitable[Any]]", function)
    raise LookupError(f"no worker function is registered as {name!r}")


async def run_in_process(job: Job) -> Any:
    """Run `job` here, with the very function a worker would run it with (for a command that
    ran a job itself because no worker took it: its follow-ups must be the worker's too)."""
    return await registered(job.function)({"job_try": 1}, *job.args)


CRON_JOBS: list[Any] = [
    cron(purge_expired_sessions, minute={17}, run_at_startup=False),
    # Nightly: lifecycle stages move with time even when nobody buys.
    cron(refresh_all_segments, hour={3}, minute={5}, run_at_startup=False),
    # Nightly, after the segments: each organization's prediction model refitted to now.
    cron(refit_all_predictions, hour={3}, minute={15}, run_at_startup=False),
    # Hourly, so each organization's birthdays are rewarded soon after its local midnight.
    cron(birthday_rewards, minute={7}, run_at_startup=False),
    cron(expire_points, minute={37}, run_at_startup=False),
    # The monthly persona refresh: daily, each organization once its personas are 30 days old.
    cron(refresh_due_personas, hour={4}, minute={23}, run_at_startup=False),
    # Hourly: persona sets left RUNNING by a lost job are enqueued again, or failed when too old.
    cron(reconcile_personas, minute={47}, run_at_startup=False),
    # Nightly: duplicate suggestions from the day's new and changed customers.
    cron(refresh_all_duplicate_suggestions, hour={3}, minute={35}, run_at_startup=False),
    # Privacy requests a lost job left waiting; exports whose single-use link expired.
    cron(resend_privacy_requests, minute=set(range(2, 60, 5)), run_at_startup=False),
    cron(delete_expired_exports, minute={29}, run_at_startup=False),
    # Every minute: outbox messages whose job was lost are sent, dead workers' sends given up.
    cron(reconcile_messages, second={41}, run_at_startup=False),
    cron(purge_verification_codes, hour={2}, minute={53}, run_at_startup=False),
    # Daily: PENDING SMS requests unanswered for 30 days lapse (nobody is texted).
    cron(lapse_sms_requests, hour={5}, minute={11}, run_at_startup=False),
    # Every minute: customers imports whose SMS schedule (AT) is due send their texts.
    cron(send_scheduled_import_texts, second={17}, run_at_startup=False),
    # Every minute: due campaigns whose job was lost, and runs whose worker went silent.
    cron(sweep_campaigns, second={23}, run_at_startup=False),
]


# arq starts queued jobs only when it polls, and at most `MAX_JOBS` minus those running per
# poll: its default half-second pause caps a worker at 20 short jobs a second however idle the
# database is (10,000 erasures: over 8 minutes). A poll is one ZRANGEBYSCORE on Redis; polling
# 20 times a second costs an idle worker about 1% of a core (docs/privacy.md, Performance).
POLL_DELAY_SECONDS = 0.05
MAX_JOBS = 10


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


def build_worker(
    settings: Settings, redis_url: str, *, manage_db: bool, burst: bool = False
) -> Worker:
    """A worker; with manage_db it opens and closes the database itself (separate process),
    and serves its metrics on LOYALTY_METRICS_PORT when set."""
    exporter = MetricsExporter(settings, redis_url) if manage_db else None

    async def on_startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        blocklist.install_keys(settings.blocklist_keys)
        # Jobs that services ask for while a job runs go to this worker's Redis: job tasks are
        # started from this task and inherit the binding (app.core.jobs).
        jobs.bind_queue(ctx["redis"])
        if exporter is not None:
            exporter.start()
        if manage_db:
            await init_db(settings.database_url)
        start_providers(ctx)
        # Imports a dead worker left behind are resumed from the database, now and every
        # few seconds (a background loop, not an arq job: burst runs count only real jobs).
        await start_import_supervisor(ctx, periodic=not burst)

    async def on_shutdown(ctx: dict[str, Any]) -> None:
        await stop_import_supervisor(ctx)
        await stop_providers(ctx)
        if manage_db:
            await close_db()
        if exporter is not None:
            exporter.stop()

    return ReconnectingWorker(
        functions=instrument_functions(FUNCTIONS),
        cron_jobs=instrument_cron_jobs(CRON_JOBS),
        redis_settings=redis_settings(redis_url),
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        burst=burst,
        handle_signals=manage_db,
        max_jobs=MAX_JOBS,
        poll_delay=POLL_DELAY_SECONDS,
        job_timeout=3600,
        keep_result=3600,
    )
