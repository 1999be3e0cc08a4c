"""Per-organization sending rate (`settings.sms.rate_per_second`): across worker processes no
one-second window holds more than the rate, and a throttled text waits (QUEUED, its job
deferred) rather than failing or going twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import time
import uuid

from arq.connections import ArqRedis

from app.config import Settings
from app.core.jobs import queue_bound
from app.messaging import throttle
from app.messaging.providers import build_providers
from app.messaging.sender import SendOutcome, send_message
from app.models.message import MessageStatus, OutboxMessage
from app.models.organization import Organization
from tests.conftest import Tenant
from tests.messaging.test_outbox import enqueue, text
from tests.messaging.worker_process import start_worker, stop_worker, worker_log


async def set_rate(tenant: Tenant, rate: int) -> None:
    await Organization.filter(id=tenant.organization_id).update(
        settings={"sms": {"rate_per_second": rate, "quiet_hours": ["00:00", "24:00"]}}
    )


def most_in_one_second(instants: list[dt.datetime]) -> int:
    """The most instants any half-open one-second window [t, t + 1 s) holds."""
    ordered = sorted(instants)
    most, start = 0, 0
    for end, instant in enumerate(ordered):
        while instant - ordered[start] >= dt.timedelta(seconds=1):
            start += 1
        most = max(most, end - start + 1)
    return most


def test_rate_settings_are_read_strictly() -> None:
    assert throttle.rate_from_settings({"sms": {"rate_per_second": 25}}) == 25
    absent: list[object] = [{}, {"sms": {}}, {"sms": {"rate_per_second": -1}}, None, {"sms": "x"}]
    for settings in absent:
        assert throttle.rate_from_settings(settings) == 0
    assert throttle.rate_from_settings({"sms": {"rate_per_second": "5"}}) == 0
    assert throttle.rate_from_settings({"sms": {"rate_per_second": True}}) == 0


async def test_the_limiter_grants_the_rate_then_gives_each_waiting_text_its_own_place(
    arq_redis: ArqRedis,
) -> None:
    organization, other = uuid.uuid4(), uuid.uuid4()
    answers = [await throttle.acquire(arq_redis, organization, 2, uuid.uuid4()) for _ in range(5)]
    granted = [a for a in answers if isinstance(a, throttle.Granted)]
    waiting = [a for a in answers if isinstance(a, throttle.Wait)]
    assert len(granted) == 2
    assert len(waiting) == 3
    # The first place opens when the oldest send leaves the window; the rest follow 1/rate apart.
    assert waiting[0].until >= granted[0].at + dt.timedelta(seconds=1)
    gaps = [b.until - a.until for a, b in itertools.pairwise(waiting)]
    assert gaps == [dt.timedelta(milliseconds=500)] * 2
    # Another organization has its own line.
    assert isinstance(await throttle.acquire(arq_redis, other, 2, uuid.uuid4()), throttle.Granted)


async def test_a_text_waiting_for_its_place_keeps_it_and_a_newcomer_queues_behind(
    arq_redis: ArqRedis,
) -> None:
    organization = uuid.uuid4()
    first, waiting, newcomer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert isinstance(await throttle.acquire(arq_redis, organization, 1, first), throttle.Granted)
    place = await throttle.acquire(arq_redis, organization, 1, waiting)
    assert isinstance(place, throttle.Wait)
    # Asking again before its place comes gives the same place, not a later one.
    assert await throttle.acquire(arq_redis, organization, 1, waiting) == place
    later = await throttle.acquire(arq_redis, organization, 1, newcomer)
    assert isinstance(later, throttle.Wait)
    assert later.until > place.until
    await asyncio.sleep((place.until - dt.datetime.now(dt.UTC)).total_seconds() + 0.05)
    # At its place the waiting text goes; the newcomer, though asking first, does not jump it.
    assert isinstance(await throttle.acquire(arq_redis, organization, 1, newcomer), throttle.Wait)
    assert isinstance(await throttle.acquire(arq_redis, organization, 1, waiting), throttle.Granted)


async def test_a_throttled_text_waits_queued_with_a_deferred_job(
    tenant: Tenant, arq_redis: ArqRedis, settings: Settings
) -> None:
    await set_rate(tenant, 1)
    first = await enqueue(tenant, arq_redis, text("k1"))
    second = await enqueue(tenant, arq_redis, text("k2", to="+14155550133"))
    providers = build_providers(settings.messaging)
    try:
        with queue_bound(arq_redis):
            assert await send_message(first.id, providers) is SendOutcome.DELIVERED
            assert await send_message(second.id, providers) is SendOutcome.THROTTLED
            # The job run again before its place: still waiting, nothing sent.
            assert await send_message(second.id, providers) is SendOutcome.NOT_SENDABLE
    finally:
        await providers.aclose()
    row = await OutboxMessage.get(id=second.id)
    assert (row.status, row.attempts, row.sent_at) == (MessageStatus.QUEUED, 0, None)
    assert row.next_attempt_at is not None
    sent = await OutboxMessage.get(id=first.id)
    assert sent.sent_at is not None
    assert row.next_attempt_at >= sent.sent_at + dt.timedelta(seconds=1)
    # Besides the enqueue's own job (not run here), one job deferred to its place.
    deferred = [job for job in await arq_redis.queued_jobs() if job.args == (str(second.id),)]
    place = int(row.next_attempt_at.timestamp() * 1_000_000)
    assert {job.job_id for job in deferred} == {
        f"message:{second.id}",
        f"message:{second.id}:slot{place}",
    }


async def test_two_worker_processes_never_exceed_the_rate_and_send_each_text_once(
    tenant: Tenant, arq_redis: ArqRedis, settings: Settings, redis_url: str
) -> None:
    rate, count = 4, 18
    await set_rate(tenant, rate)
    messages = [
        await enqueue(tenant, arq_redis, text(f"k{n}", to=f"+1415555{n:04d}")) for n in range(count)
    ]
    workers = [start_worker(settings, redis_url) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while await OutboxMessage.filter(status=MessageStatus.DELIVERED).count() < count:
            for worker in workers:
                assert worker.poll() is None, worker_log(worker)
            assert time.monotonic() < deadline, worker_log(workers[0])
            await asyncio.sleep(0.2)
    finally:
        for worker in workers:
            stop_worker(worker)
    rows = await OutboxMessage.filter(id__in=[m.id for m in messages])
    assert {(r.status, r.attempts) for r in rows} == {(MessageStatus.DELIVERED, 1)}
    instants = [r.sent_at for r in rows if r.sent_at is not None]
    assert len(instants) == count
    assert most_in_one_second(instants) <= rate
    # Which also means the batch took at least (count - rate) / rate seconds.
    assert max(instants) - min(instants) >= dt.timedelta(seconds=(count - rate) / rate)
