"""Jobs requested by services reach arq only after their transaction commits."""

from __future__ import annotations

import logging
import uuid

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus

from app.core import jobs
from app.core.transactions import atomic
from app.models.organization import Organization


def _job() -> jobs.Job:
    key = uuid.uuid4()
    return jobs.Job("some_job", (str(key),), job_id=f"test:{key}")


async def _status(redis: ArqRedis, job: jobs.Job) -> JobStatus:
    return await ArqJob(job.job_id, redis).status()


class Boom(Exception):
    pass


async def test_a_job_requested_in_a_transaction_is_sent_after_the_commit(
    arq_redis: ArqRedis,
) -> None:
    job = _job()
    with jobs.queue_bound(arq_redis):
        async with atomic() as conn:
            await Organization.create(name="Acme", using_db=conn)
            await jobs.request_job(job)
            assert await _status(arq_redis, job) is JobStatus.not_found
        assert await _status(arq_redis, job) is JobStatus.queued


async def test_a_rolled_back_transaction_drops_its_jobs(arq_redis: ArqRedis) -> None:
    job = _job()
    slug = f"acme-{uuid.uuid4().hex[:8]}"

    async def fail_after_writing() -> None:
        async with atomic() as conn:
            await Organization.create(name=slug, using_db=conn)
            await jobs.request_job(job)
            raise Boom

    with jobs.queue_bound(arq_redis), pytest.raises(Boom):
        await fail_after_writing()
    assert await _status(arq_redis, job) is JobStatus.not_found
    assert not await Organization.exists(name=slug)


async def test_an_inner_commit_waits_for_the_outer_transaction(arq_redis: ArqRedis) -> None:
    kept, dropped = _job(), _job()

    async def fail_after_an_inner_commit() -> None:
        async with atomic():
            async with atomic():
                await jobs.request_job(dropped)
            assert await _status(arq_redis, dropped) is JobStatus.not_found
            raise Boom

    with jobs.queue_bound(arq_redis):
        with pytest.raises(Boom):
            await fail_after_an_inner_commit()
        async with atomic():
            async with atomic():
                await jobs.request_job(kept)
            assert await _status(arq_redis, kept) is JobStatus.not_found
    assert await _status(arq_redis, dropped) is JobStatus.not_found
    assert await _status(arq_redis, kept) is JobStatus.queued


async def test_outside_a_transaction_a_job_is_sent_at_once(arq_redis: ArqRedis) -> None:
    job = _job()
    with jobs.queue_bound(arq_redis):
        await jobs.request_job(job)
    assert await _status(arq_redis, job) is JobStatus.queued


async def test_the_job_id_makes_a_second_request_a_no_op(arq_redis: ArqRedis) -> None:
    job = _job()
    with jobs.queue_bound(arq_redis):
        assert await jobs.send_now(job)
        assert not await jobs.send_now(job)
        async with atomic():
            await jobs.request_job(job)
    assert len([j for j in await arq_redis.queued_jobs() if j.job_id == job.job_id]) == 1


async def test_without_a_bound_queue_nothing_is_sent(arq_redis: ArqRedis) -> None:
    job = _job()
    assert jobs.bound_queue() is None
    async with atomic():
        await jobs.request_job(job)
    assert not await jobs.send_now(job)
    assert await _status(arq_redis, job) is JobStatus.not_found


async def test_an_unreachable_redis_does_not_undo_the_commit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A port nothing listens on; the client connects lazily, so the failure comes at send time.
    dead = ArqRedis(host="127.0.0.1", port=9, socket_connect_timeout=1)
    slug = f"acme-{uuid.uuid4().hex[:8]}"
    try:
        with jobs.queue_bound(dead), caplog.at_level(logging.WARNING, "app.jobs"):
            async with atomic() as conn:
                await Organization.create(name=slug, using_db=conn)
                await jobs.request_job(_job())
    finally:
        await dead.aclose()
    assert await Organization.exists(name=slug)
    assert any("could not enqueue some_job" in r.getMessage() for r in caplog.records)
