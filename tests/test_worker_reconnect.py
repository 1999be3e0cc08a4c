"""A worker process outlives a Redis restart and runs jobs enqueued afterwards."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from arq.connections import create_pool

from app.core.clock import utcnow
from app.models.staff import StaffSession
from tests.conftest import Tenant
from tests.processes import RedisServer, loyalty_process, stop
from workers.reconnecting import reconnect_delay
from workers.settings import redis_settings


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def expired_session(tenant: Tenant) -> StaffSession:
    return await StaffSession.create(
        staff_id=tenant.owner_id,
        token_hash=secrets.token_hex(32),
        expires_at=utcnow() - timedelta(days=30),
    )


async def purged_by_worker(server: RedisServer, session: StaffSession) -> bool:
    """Enqueue the purge job and wait (bounded) for the worker to delete the session."""
    pool = await create_pool(redis_settings(server.url))
    try:
        await pool.enqueue_job("purge_expired_sessions")
        for _ in range(600):
            if not await StaffSession.exists(id=session.id):
                return True
            await asyncio.sleep(0.1)
        return False
    finally:
        await pool.aclose()


def test_the_pause_between_attempts_grows_and_is_capped() -> None:
    delays = [reconnect_delay(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[0] < 1
    assert delays[-1] == 10.0


async def test_a_worker_goes_on_after_redis_restarts(
    redis_server: RedisServer, database_url: str, tenant: Tenant, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "LOYALTY_DATA_DIR": str(tmp_path / "data"),
        "LOYALTY_SECRET_KEY": "k" * 40,
    }
    log = tmp_path / "worker.log"
    worker = loyalty_process("worker", env=env, cwd=tmp_path, log=log)
    try:
        assert await purged_by_worker(redis_server, await expired_session(tenant)), log.read_text()
        # Redis goes away for two seconds, longer than the worker's 0.5 s poll delay.
        redis_server.stop()
        await asyncio.sleep(2)
        redis_server.start()
        assert worker.poll() is None, log.read_text()
        assert await purged_by_worker(redis_server, await expired_session(tenant)), log.read_text()
        assert worker.poll() is None
        assert "lost Redis" in log.read_text()
    finally:
        stop(worker)
