"""Lifecycle and RFM jobs: refresh one organization's segments; refresh every one nightly.

A refresh recomputes everything from the customers' order statistics, so running it twice,
or late, is harmless: the second run changes nothing. Orders ask for a refresh through
`enqueue_segment_refresh` after their transaction commits; the deterministic job id and the
short delay fold a burst of orders into one recompute. The job keeps no result (arq's `_job_id`
deduplicates while the job or its result is kept), so the next order after a refresh can
enqueue the next one; an order that lands while a refresh runs waits for the next request or
the nightly run.
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
from app.lifecycle.service import recompute_segments
from app.models.organization import Organization

logger = logging.getLogger("workers.lifecycle")

REFRESH_SEGMENTS = "refresh_segments"
SEGMENT_REFRESH_DELAY = dt.timedelta(seconds=30)
RETRY_DELAY = dt.timedelta(seconds=20)


def segment_job_id(organization_id: uuid.UUID) -> str:
    return f"segments:{organization_id}"


async def enqueue_segment_refresh(
    redis: ArqRedis,
    organization_id: uuid.UUID,
    *,
    delay: dt.timedelta | None = SEGMENT_REFRESH_DELAY,
) -> bool:
    """Ask for a recompute of one organization; False when one is already waiting."""
    job = await redis.enqueue_job(
        REFRESH_SEGMENTS,
        str(organization_id),
        _job_id=segment_job_id(organization_id),
        _defer_by=delay,
    )
    return job is not None


async def refresh_segments(ctx: dict[str, Any], organization_id: str) -> dict[str, int] | None:
    """Recompute lifecycle stages and RFM of one organization. Safe to run twice."""
    org_id = try_parse_id(organization_id)
    if org_id is None or not await Organization.exists(id=org_id):
        logger.info("segment refresh skipped: organization %s not found", organization_id)
        return None
    try:
        counts = await recompute_segments(org_id)
    except (asyncpg.TransactionRollbackError, OperationalError) as exc:
        if not _transient(exc):
            raise
        # Nothing was written (one transaction), so trying again later is safe.
        raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
    return counts.as_dict()


def _transient(exc: Exception) -> bool:
    """A deadlock or serialization failure with an order or merge transaction (PostgreSQL),
    or a busy database (SQLite)."""
    if isinstance(exc, asyncpg.TransactionRollbackError):
        return True
    return "database is locked" in str(exc)


async def refresh_all_segments(ctx: dict[str, Any]) -> int:
    """Nightly: one refresh job per organization (stages move with time, not only orders)."""
    redis: ArqRedis = ctx["redis"]
    enqueued = 0
    for org_id in await Organization.all().order_by("id").values_list("id", flat=True):
        if await enqueue_segment_refresh(redis, org_id, delay=None):  # type: ignore[arg-type]
            enqueued += 1
    return enqueued


# keep_result=0: a finished refresh must not block the next request with the same job id.
refresh_segments_job = func(refresh_segments, name=REFRESH_SEGMENTS, keep_result=0)
