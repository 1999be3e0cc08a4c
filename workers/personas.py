"""Persona jobs: regenerate one set; the scheduled refresh; reconciling sets left RUNNING.

The job carries only the persona set id. Its intent is the RUNNING `PersonaSet` row written by
`request_regeneration`, so a lost Redis or a killed worker loses nothing: `reconcile_personas`
(hourly) enqueues RUNNING sets again (the deterministic job id makes that a no-op while
the job is queued or running) and gives up on those older than the job timeout allows.
`run_generation` leaves finished sets alone and restarts interrupted ones from scratch.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

import asyncpg
from arq.connections import ArqRedis
from arq.worker import Retry, func
from tortoise.exceptions import OperationalError

from app.core.ids import try_parse_id
from app.personas import service

logger = logging.getLogger("workers.personas")

REGENERATE_PERSONAS = "regenerate_personas"
RETRY_DELAY = dt.timedelta(seconds=30)
# A million customers take about a minute; the margin covers much larger organizations.
JOB_TIMEOUT = dt.timedelta(hours=1)


def persona_job_id(persona_set_id: uuid.UUID) -> str:
    return f"personas:{persona_set_id}"


async def enqueue_persona_regeneration(redis: ArqRedis, persona_set_id: uuid.UUID) -> bool:
    """Ask a worker to generate this set; False when its job is already queued or running."""
    job = await redis.enqueue_job(
        REGENERATE_PERSONAS, str(persona_set_id), _job_id=persona_job_id(persona_set_id)
    )
    return job is not None


def _transient(exc: Exception) -> bool:
    """A deadlock or serialization failure (PostgreSQL) or a busy database (SQLite)."""
    if isinstance(exc, asyncpg.TransactionRollbackError):
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


async def regenerate_personas(ctx: dict[str, Any], persona_set_id: str) -> str | None:
    """Generate one persona set. Safe to run twice; returns the set's final status."""
    set_id = try_parse_id(persona_set_id)
    if set_id is None:
        logger.info("persona regeneration skipped: malformed set id")
        return None
    try:
        result = await service.run_generation(set_id)
    except (asyncpg.TransactionRollbackError, OperationalError) as exc:
        if not _transient(exc):
            await _failed(set_id, exc)
            return "FAILED"
        # The run starts over from a clean slate, so trying again later is safe.
        raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
    except Exception as exc:
        await _failed(set_id, exc)
        return "FAILED"
    return result.status.value if result is not None else None


async def _failed(set_id: uuid.UUID, exc: Exception) -> None:
    # The type and place only: messages of database errors can carry values.
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"
    logger.error(
        "persona regeneration failed set=%s type=%s at=%s", set_id, type(exc).__name__, where
    )
    await service.fail_unexpectedly(set_id)


async def refresh_due_personas(ctx: dict[str, Any]) -> int:
    """The monthly refresh. Runs daily and regenerates each eligible organization whose
    personas are a refresh interval (30 days by default) old, or that has none yet: every
    organization is refreshed once a month, spread over the days, and a day missed (worker
    down) is caught up the next day."""
    redis: ArqRedis = ctx["redis"]
    enqueued = 0
    for organization_id in await service.organizations():
        persona_set = await service.request_scheduled_regeneration(organization_id)
        if persona_set is not None and await enqueue_persona_regeneration(redis, persona_set.id):
            enqueued += 1
    return enqueued


async def reconcile_personas(ctx: dict[str, Any]) -> dict[str, int]:
    """Enqueue RUNNING sets again (lost jobs) and fail the ones stuck too long."""
    redis: ArqRedis = ctx["redis"]
    found = await service.reconcile()
    resumed = 0
    for set_id in found.resume:
        if await enqueue_persona_regeneration(redis, set_id):
            resumed += 1
    return {"resumed": resumed, "failed": len(found.failed)}


regenerate_personas_job = func(
    regenerate_personas,
    name=REGENERATE_PERSONAS,
    timeout=JOB_TIMEOUT.total_seconds(),
    max_tries=service.MAX_ATTEMPTS + 2,
)
