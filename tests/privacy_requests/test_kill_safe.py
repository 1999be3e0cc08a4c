"""Kill safety: a real worker process is SIGKILLed in the middle of an erasure; a sweep asks
again, another worker finishes it, and the erasure happened exactly once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from pathlib import Path

from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import Settings
from app.core.clock import advanced
from app.core.jobs import queue_bound
from app.models.audit import AuditEvent
from app.models.customer import Customer, CustomerStatus
from app.models.privacy_request import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from app.models.wallet import LedgerEntry, LedgerKind
from app.privacy_requests.service import STALE_AFTER, Target, file_request, resend_stale
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.processes import loyalty_process

# Every lot is one UPDATE when the ERASE entry empties the wallet: enough of them make the
# erasure's transaction last long enough to be killed inside it.
LOTS = 4000


def worker(
    settings: Settings, redis_url: str, log: Path, *, burst: bool
) -> subprocess.Popen[bytes]:
    return loyalty_process(
        "worker",
        *(["--burst"] if burst else []),
        env={
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": redis_url,
            "LOYALTY_SECRET_KEY": settings.secret_key,
            "LOYALTY_DATA_DIR": str(settings.data_dir),
            "LOYALTY_LOG_LEVEL": "WARNING",
        },
        cwd=settings.data_dir,
        log=log,
    )


async def customer_with_many_lots(tenant: Tenant) -> Customer:
    customer = await Customer.create(
        organization_id=tenant.organization_id,
        email="kill.me.softly@example.org",
        first_name="Killian",
        points_balance=LOTS,
        lifetime_points=LOTS,
    )
    await LedgerEntry.bulk_create(
        [
            LedgerEntry(
                organization_id=tenant.organization_id,
                customer_id=customer.id,
                kind=LedgerKind.EARN,
                points=1,
                remaining=1,
                reason="seed",
                actor_kind="SYSTEM",
                balance_after=n + 1,
            )
            for n in range(LOTS)
        ],
        batch_size=1000,
    )
    return customer


async def test_sigkill_mid_erasure_then_a_sweep_finishes_it_once(
    settings: Settings, redis_url: str, arq_redis: ArqRedis, tenant: Tenant, tmp_path: Path
) -> None:
    customer = await customer_with_many_lots(tenant)
    with queue_bound(arq_redis):
        request = await file_request(
            owner_of(tenant), settings, PrivacyRequestKind.ERASE, Target(customer_id=customer.id)
        )
    first = worker(settings, redis_url, tmp_path / "first.log", burst=False)
    try:
        deadline = time.monotonic() + 60
        while (await PrivacyRequest.get(id=request.id)).status is not PrivacyRequestStatus.RUNNING:
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            await asyncio.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)
    killed = await PrivacyRequest.get(id=request.id)
    # Killed inside: the erasure's transaction was rolled back whole.
    assert killed.status is PrivacyRequestStatus.RUNNING
    row = await Customer.get(id=customer.id)
    assert (row.status, row.email, row.points_balance) == (
        CustomerStatus.ACTIVE,
        "kill.me.softly@example.org",
        LOTS,
    )
    assert await LedgerEntry.filter(customer_id=customer.id, kind=LedgerKind.ERASE).count() == 0

    # The sweep finds it stale and asks again under a new job id (the dead worker's job is
    # still held in arq's queue); a new worker carries it out.
    with advanced(STALE_AFTER + STALE_AFTER / 5), queue_bound(arq_redis):
        assert await resend_stale(Principal.system(tenant.organization_id)) == 1
    second = worker(settings, redis_url, tmp_path / "second.log", burst=True)
    try:
        await asyncio.to_thread(second.wait, 180)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, (tmp_path / "second.log").read_text()[-2000:]

    done = await PrivacyRequest.get(id=request.id)
    assert done.status is PrivacyRequestStatus.DONE
    assert done.attempts == 2
    erased = await Customer.get(id=customer.id)
    assert (erased.status, erased.email, erased.points_balance) == (CustomerStatus.ERASED, None, 0)
    erase_entries = await LedgerEntry.filter(customer_id=customer.id, kind=LedgerKind.ERASE)
    assert [e.points for e in erase_entries] == [-LOTS]
    assert sum(e.remaining for e in await LedgerEntry.filter(customer_id=customer.id)) == 0
    audited = await AuditEvent.filter(subject_id=customer.id, action="CUSTOMER_ERASED").count()
    assert audited == 1
    assert uuid.UUID(str(done.customer_id)) == customer.id
