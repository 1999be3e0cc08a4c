"""Kill safety: a real worker process is SIGKILLed in the middle of a campaign; the sweep hands
the run to another worker, which finishes it, and every audience member was credited exactly
once (the counts exact, every wallet equal to its ledger)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

from arq.connections import ArqRedis
from tortoise.functions import Count, Sum

from app.auth.principal import Principal
from app.campaigns.runner import SILENT_AFTER, sweep
from app.config import Settings
from app.core.clock import advanced
from app.core.jobs import queue_bound
from app.models.campaign import Campaign, CampaignStatus
from app.models.customer import Customer, LifecycleStage
from app.models.wallet import LedgerEntry
from tests.campaigns.helpers import plant_customers, scheduled
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.processes import loyalty_process

AUDIENCE = 3000
# Small batches: many commits, so the kill lands between two of them and inside a third.
BATCH = 20


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
            "LOYALTY_CAMPAIGN_BATCH_SIZE": str(BATCH),
        },
        cwd=settings.data_dir,
        log=log,
    )


async def test_sigkill_mid_campaign_then_another_worker_credits_the_rest_once(
    settings: Settings, redis_url: str, arq_redis: ArqRedis, tenant: Tenant, tmp_path: Path
) -> None:
    audience = await plant_customers(
        tenant.organization_id, AUDIENCE, lifecycle_stage=LifecycleStage.LOST
    )
    await plant_customers(tenant.organization_id, 50, lifecycle_stage=LifecycleStage.ACTIVE)
    with queue_bound(arq_redis):
        campaign = await scheduled(owner_of(tenant), points=7)

    first = worker(settings, redis_url, tmp_path / "first.log", burst=False)
    try:
        deadline = time.monotonic() + 90
        while (await Campaign.get(id=campaign.id)).credited_count < 10 * BATCH:
            assert time.monotonic() < deadline, (tmp_path / "first.log").read_text()
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            await asyncio.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)

    killed = await Campaign.get(id=campaign.id)
    assert killed.status is CampaignStatus.RUNNING
    assert 0 < killed.credited_count < AUDIENCE
    # The progress is exactly what was committed: a killed batch left nothing behind.
    assert await LedgerEntry.filter(campaign_id=campaign.id).count() == killed.credited_count

    # The worker is silent; the sweep hands the run on (clearing arq's hold on the dead
    # worker's job), and a new worker resumes after the last committed batch.
    with advanced(SILENT_AFTER * 1.5), queue_bound(arq_redis):
        assert await sweep(Principal.system(tenant.organization_id)) == 1
    second = worker(settings, redis_url, tmp_path / "second.log", burst=True)
    try:
        await asyncio.to_thread(second.wait, 300)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0, (tmp_path / "second.log").read_text()[-2000:]

    done = await Campaign.get(id=campaign.id)
    assert (done.status, done.attempts) == (CampaignStatus.COMPLETED, 2)
    assert (done.audience_size, done.credited_count, done.points_credited) == (
        AUDIENCE,
        AUDIENCE,
        AUDIENCE * 7,
    )
    per_customer = (
        await LedgerEntry.filter(campaign_id=campaign.id)
        .annotate(n=Count("id"), lots=Sum("remaining"))
        .group_by("customer_id")
        .values("customer_id", "n", "lots")
    )
    assert len(per_customer) == AUDIENCE
    assert {(row["n"], row["lots"]) for row in per_customer} == {(1, 7)}
    assert {str(row["customer_id"]) for row in per_customer} == {str(c.id) for c in audience}
    wallets = await Customer.filter(id__in=[c.id for c in audience]).values_list(
        "points_balance", "lifetime_points"
    )
    assert set(wallets) == {(7, 7)}
    assert await LedgerEntry.all().count() == AUDIENCE
