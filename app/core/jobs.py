"""Jobs that services ask for, sent to arq only once the data they act on is committed.

A service never talks to Redis. It describes the work (`Job`: the function's name, ids only as
arguments, a deterministic job id) and calls `request_job`. Inside `app.core.transactions.atomic`
the job waits in a buffer and is sent when the outermost transaction commits; when the
transaction rolls back the job is dropped with it. Outside any transaction (the writes before it
have already committed) it is sent at once.

Which Redis receives it is bound per task by the entry point (the GraphQL context, the worker's
start-up, the CLI): `bind_queue`. With none bound (a CLI without Redis, say) the job is not sent;
every job kind has a reconcile loop or a schedule that finds its intent in the database, so a
lost enqueue delays work and never loses it. A Redis error while sending is logged and swallowed
for the same reason: the commit has happened and must not be reported as a failure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass

from arq.connections import ArqRedis
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix
from redis.exceptions import RedisError

from app.core.clock import utcnow

logger = logging.getLogger("app.jobs")


@dataclass(frozen=True)
class Job:
    """One arq job: arguments are ids (never personal data), the job id makes it idempotent."""

    function: str
    args: tuple[str, ...]
    job_id: str
    defer_by: dt.timedelta | None = None


_queue: ContextVar[ArqRedis | None] = ContextVar("loyalty_job_queue", default=None)
_pending: ContextVar[list[Job] | None] = ContextVar("loyalty_pending_jobs", default=None)


def bind_queue(redis: ArqRedis | None) -> Token[ArqRedis | None]:
    """Send this task's jobs (and those of tasks it starts) to `redis`."""
    return _queue.set(redis)


def unbind_queue(token: Token[ArqRedis | None]) -> None:
    _queue.reset(token)


@contextlib.contextmanager
def queue_bound(redis: ArqRedis | None) -> Iterator[None]:
    token = bind_queue(redis)
    try:
        yield
    finally:
        unbind_queue(token)


def bound_queue() -> ArqRedis | None:
    return _queue.get()


async def request_job(job: Job) -> None:
    """Ask for `job`: after the enclosing transaction commits, or now outside one."""
    pending = _pending.get()
    if pending is not None:
        pending.append(job)
        return
    await send_now(job)


async def send_now(job: Job) -> bool:
    """Enqueue at once (reconcile loops and schedules, whose intent is already committed).

    True when arq took it; False when a job with that id is already queued or running,
    no queue is bound, or Redis did not answer.
    """
    redis = _queue.get()
    if redis is None:
        logger.info("no job queue bound; %s left to its reconcile loop", job.function)
        return False
    try:
        enqueued = await redis.enqueue_job(
            job.function, *job.args, _job_id=job.job_id, _defer_by=job.defer_by
        )
    except (RedisError, OSError):
        logger.warning("could not enqueue %s; its reconcile loop will pick it up", job.function)
        return False
    return enqueued is not None


async def revive(job: Job, *, release_hold: bool = True) -> bool:
    """Make `job` runnable again after whoever ran it is gone (its intent is in the database).

    A worker killed mid-job leaves the job in arq's queue behind an "in progress" key that
    only expires after the worker-wide timeout (an hour): with `release_hold` the key is
    dropped, so the next worker runs it now. A job that fell out of the queue is put back;
    one that Redis lost entirely is sent anew. True when anything was done. The caller makes
    sure the job's run is idempotent: a job that was in fact alive may run twice.
    """
    redis = _queue.get()
    if redis is None:
        return False
    acted = False
    try:
        if release_hold:
            acted = bool(await redis.delete(in_progress_key_prefix + job.job_id))
        if await redis.exists(job_key_prefix + job.job_id):
            if await redis.zscore(default_queue_name, job.job_id) is None:
                now_ms = int(utcnow().timestamp() * 1000)
                await redis.zadd(default_queue_name, {job.job_id: now_ms})
                acted = True
            return acted
    except (RedisError, OSError):
        logger.warning("could not revive %s; the next sweep will try again", job.function)
        return False
    return await send_now(job) or acted


@contextlib.asynccontextmanager
async def collecting() -> AsyncIterator[None]:
    """Hold the jobs requested inside until the block ends without an exception.

    Nested blocks hand their jobs to the enclosing one, so only the outermost block (the real
    commit) sends. Used by `app.core.transactions.atomic`, which closes this block only after
    its transaction has committed.
    """
    outer = _pending.get()
    mine: list[Job] = []
    token = _pending.set(mine)
    try:
        yield
    finally:
        _pending.reset(token)
    if outer is not None:
        outer.extend(mine)
        return
    for job in mine:
        await send_now(job)
