"""Kill-safety with a real worker process and a real Redis: SIGKILL it mid-import, start
another, and every row is imported exactly once with honest counts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from arq.connections import ArqRedis

from app.config import Settings, format_blocklist_keys
from app.core.jobs import queue_bound, send_now
from app.imports.jobs import run_import
from app.models.consent import ConsentEvent
from app.models.customer import Customer
from app.models.imports import ImportJob, ImportStatus
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import row_errors, start

STALE_SECONDS = 2
ROWS = 2000


def worker(settings: Settings, redis_url: str, *, burst: bool) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("loyalty")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_SECRET_KEY": settings.secret_key,
        "LOYALTY_BLOCKLIST_KEY": format_blocklist_keys(settings.blocklist_keys),
        "LOYALTY_DATA_DIR": str(settings.data_dir),
        "LOYALTY_IMPORT_STALE_SECONDS": str(STALE_SECONDS),
        "LOYALTY_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(  # noqa: S603 - this project's own command
        [*command, "worker", *(["--burst"] if burst else [])],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def the_file() -> str:
    lines = ["Customer ID,Email,Phone,SMS opt-in"]
    for i in range(ROWS):
        email = f"u{i}@example.com" if i % 250 != 7 else "not an email"
        phone = f"(202) 555-{i:04d}" if i % 2 else ""
        lines.append(f"c-{i},{email},{phone},{'yes' if i % 2 else ''}")
    lines.append("c-late,u3@example.com,,")  # repeats row 5's email: found after the resume
    return "\n".join(lines) + "\n"


async def test_sigkill_mid_job_then_restart_imports_every_row_once(
    settings: Settings, redis_url: str, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), settings, the_file(), batch_size=20, throttle_ms=25)
    with queue_bound(arq_redis):
        assert await send_now(run_import(job.id))
        assert not await send_now(run_import(job.id))  # sent twice: one arq job

    first = worker(settings, redis_url, burst=False)
    try:
        deadline = time.monotonic() + 60
        while True:
            current = await ImportJob.get(id=job.id)
            if current.checkpoint_row >= 400:
                break
            assert time.monotonic() < deadline, "the first worker made no progress"
            assert first.poll() is None, first.stderr.read() if first.stderr else b""
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
        if first.stderr is not None:
            first.stderr.close()
    killed = await ImportJob.get(id=job.id)
    assert killed.status is ImportStatus.RUNNING
    assert 0 < killed.checkpoint_row < ROWS
    # Exactly what the committed batches say is in the database, nothing of the batch in flight.
    count = await Customer.filter(organization_id=tenant.organization_id).count()
    assert count == killed.created_count
    assert killed.processed_rows == killed.checkpoint_row

    # The new worker finds the job's heartbeat stale, frees it from the dead worker's hold in
    # Redis and resumes it after its last committed batch.
    await asyncio.sleep(STALE_SECONDS + 0.5)
    second = worker(settings, redis_url, burst=True)
    try:
        _, stderr = await asyncio.to_thread(second.communicate, None, 120)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, stderr.decode(errors="replace")[-2000:]

    done = await ImportJob.get(id=job.id)
    invalid = len([i for i in range(ROWS) if i % 250 == 7]) + 1
    assert (done.status, done.attempts) == (ImportStatus.PARTIAL, 2)
    assert (done.total_rows, done.processed_rows) == (ROWS + 1, ROWS + 1)
    assert (done.created_count, done.invalid_count) == (ROWS + 1 - invalid, invalid)
    assert (done.updated_count, done.unchanged_count, done.suppressed_count) == (0, 0, 0)
    customers = await Customer.filter(organization_id=tenant.organization_id)
    assert len(customers) == done.created_count
    assert len({c.external_reference for c in customers}) == len(customers)
    errors = await row_errors(done)
    assert len(errors) == invalid
    assert errors[-1] == (ROWS + 2, "Email", "DUPLICATE_IN_FILE")
    # Consent evidence too: one PENDING event per customer the file opted in, none twice.
    opted_in = sum(1 for c in customers if c.phone)
    events = await ConsentEvent.filter(organization_id=tenant.organization_id).count()
    assert events == opted_in == len([i for i in range(ROWS) if i % 2 and i % 250 != 7])
    assert not (settings.imports_root / done.file_path).exists()
