"""A worker SIGKILLed during a parallel import leaves none of its processes behind: the
validation processes, the multiprocessing forkserver and the resource tracker all exit."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from app.config import Settings, format_blocklist_keys
from app.core.jobs import queue_bound, send_now
from app.imports.jobs import run_import
from app.imports.runner import PARALLEL_MIN_ROWS
from app.models.imports import ImportJob
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import start
from tests.processes import living_processes, loyalty_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def descendants(pid: int) -> set[int]:
    parents = {child: parent for child, (parent, _) in living_processes().items()}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return pids & set(living_processes())


def big_file() -> str:
    lines = ["Customer ID,First name"]
    lines += [f"c-{i},Name{i}" for i in range(PARALLEL_MIN_ROWS + 10)]
    return "\n".join(lines) + "\n"


async def test_sigkill_of_the_worker_ends_its_validation_pool(
    settings: Settings, redis_url: str, arq_redis: ArqRedis, tenant: Tenant, tmp_path: Path
) -> None:
    job = await start(owner_of(tenant), settings, big_file(), batch_size=500, throttle_ms=500)
    with queue_bound(arq_redis):
        assert await send_now(run_import(job.id))
    env = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_SECRET_KEY": settings.secret_key,
        "LOYALTY_BLOCKLIST_KEY": format_blocklist_keys(settings.blocklist_keys),
        "LOYALTY_DATA_DIR": str(settings.data_dir),
        "LOYALTY_IMPORT_WORKERS": "2",
        "LOYALTY_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "worker.log"
    worker = loyalty_process("worker", env=env, cwd=tmp_path, log=log)
    left: set[int] = set()
    try:
        # Wait (bounded) until the import runs on the pool: forkserver, tracker and children.
        below: set[int] = set()
        for _ in range(1200):
            below = descendants(worker.pid)
            current = await ImportJob.get(id=job.id)
            if len(below) >= 3 and current.processed_rows > 0:
                break
            assert worker.poll() is None, log.read_text()
            await asyncio.sleep(0.05)
        assert len(below) >= 3, f"no validation pool started: {below}\n{log.read_text()}"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        for _ in range(300):
            left = alive(below)
            if not left:
                break
            await asyncio.sleep(0.1)
        assert not left, "processes outlived the killed worker"
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        # Clean up after a failed run, so one failure does not leak into the next test.
        for pid in alive(left):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
