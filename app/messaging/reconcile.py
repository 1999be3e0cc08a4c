"""The outbox's way back from lost jobs and dead workers (a cron of every worker).

The row is the intent: a QUEUED message whose job was lost (Redis flushed, an enqueue that
failed after commit) is asked for again once it is due; arq's job id keeps that from running
twice while the first job is still queued, and the claim (`app.messaging.sender`) keeps a
second run from sending. A SENDING row older than `sending_stale_seconds` belongs to a worker
that died mid-send: it may have gone out, so it is failed, never resent; what that worker
left in arq (the job, held by an "in progress" key for an hour) is removed with it, since any
run of it would now do nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix
from redis.exceptions import RedisError

from app.core.clock import utcnow
from app.core.jobs import bound_queue, send_now
from app.messaging import jobs, repository

logger = logging.getLogger("app.messaging")

# A message this young may simply not have been picked up yet.
QUEUED_GRACE = dt.timedelta(seconds=30)
BATCH = 1000
WORKER_LOST = "UNCONFIRMED:WORKER_LOST"


@dataclass(frozen=True)
class ReconcileCounts:
    requeued: int
    given_up: int


def _job_ids(message_id: uuid.UUID, attempts: int) -> list[str]:
    occasions = ["", "reconcile", *(f"retry{n}" for n in range(1, attempts + 1))]
    return [jobs.send_message(message_id, occasion=o).job_id for o in occasions]


async def _drop_dead_jobs(message_id: uuid.UUID, attempts: int) -> None:
    redis = bound_queue()
    if redis is None:
        return
    try:
        for arq_id in _job_ids(message_id, attempts):
            await redis.delete(in_progress_key_prefix + arq_id, job_key_prefix + arq_id)
            await redis.zrem(default_queue_name, arq_id)
    except (RedisError, OSError) as exc:
        # They expire within the hour, and would do nothing when they run.
        logger.warning("could not clear a dead send job: %s", type(exc).__name__)


async def reconcile_outbox(
    sending_stale_seconds: float, now: dt.datetime | None = None
) -> ReconcileCounts:
    now = now or utcnow()
    given_up = await repository.give_up_stale_sending(
        now - dt.timedelta(seconds=sending_stale_seconds), WORKER_LOST, BATCH
    )
    for message_id, attempts in given_up:
        await _drop_dead_jobs(message_id, attempts)
    requeued = 0
    for message_id in await repository.due_queued(now, now - QUEUED_GRACE, BATCH):
        # A reconcile attempt gets its own id: the original job's id may still be kept.
        if await send_now(jobs.send_message(message_id, occasion="reconcile")):
            requeued += 1
    return ReconcileCounts(requeued=requeued, given_up=len(given_up))
