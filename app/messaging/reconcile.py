"""The outbox's way back from lost jobs and dead workers (a cron of every worker).

The row is the intent: a QUEUED message whose job was lost (Redis flushed, an enqueue that
failed after commit) is asked for again once it is due; arq's job id keeps that from running
twice while the first job is still queued, and the claim (`app.messaging.sender`) keeps a
second run from sending. A SENDING row older than `sending_stale_seconds` belongs to a worker
that died mid-send: it may have gone out, so it is failed, never resent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.core.clock import utcnow
from app.core.jobs import send_now
from app.messaging import jobs, repository

# A message this young may simply not have been picked up yet.
QUEUED_GRACE = dt.timedelta(seconds=30)
BATCH = 1000
WORKER_LOST = "UNCONFIRMED:WORKER_LOST"


@dataclass(frozen=True)
class ReconcileCounts:
    requeued: int
    given_up: int


async def reconcile_outbox(
    sending_stale_seconds: float, now: dt.datetime | None = None
) -> ReconcileCounts:
    now = now or utcnow()
    given_up = await repository.give_up_stale_sending(
        now - dt.timedelta(seconds=sending_stale_seconds), WORKER_LOST
    )
    requeued = 0
    for message_id in await repository.due_queued(now, now - QUEUED_GRACE, BATCH):
        # A reconcile attempt gets its own id: the original job's id may still be kept.
        if await send_now(jobs.send_message(message_id, occasion="reconcile")):
            requeued += 1
    return ReconcileCounts(requeued=requeued, given_up=given_up)
