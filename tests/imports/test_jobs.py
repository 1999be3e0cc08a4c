"""The jobs an import asks for: its run when it is started, a segment refresh when orders came in.

Both are sent to the bound queue only after the transaction that decides them commits; the
arq keys in a real Redis show what was sent.
"""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.constants import job_key_prefix

from app.auth.principal import Principal
from app.config import Settings
from app.core.jobs import queue_bound
from app.customers.fields import CustomerInput
from app.customers.service import create_customer
from app.imports.jobs import arq_job_id
from app.lifecycle.jobs import segment_refresh
from app.models.imports import ImportKind, ImportStatus
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import csv_text, run, start

ORDERS = csv_text("Customer ID,Order Number,Order Date,Total", "c-1,R-1,2026-01-15,42.50")


async def _sent(redis: ArqRedis) -> set[str]:
    keys = await redis.keys(job_key_prefix + "*")
    return {(k.decode() if isinstance(k, bytes) else k)[len(job_key_prefix) :] for k in keys}


async def _customer(owner: Principal) -> None:
    await create_customer(owner, CustomerInput(external_reference="c-1"))


async def test_starting_an_import_sends_its_run_after_the_commit(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    with queue_bound(arq_redis):
        job = await start(owner_of(tenant), settings, csv_text("Email", "a@example.com"))
    assert job.status is ImportStatus.QUEUED
    assert await _sent(arq_redis) == {arq_job_id(job.id)}


async def test_a_file_that_cannot_be_imported_sends_no_run(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    with queue_bound(arq_redis):
        job = await start(owner_of(tenant), settings, b"")
    assert job.status is ImportStatus.FAILED
    assert await _sent(arq_redis) == set()


async def test_an_orders_import_that_created_orders_asks_for_a_segment_refresh(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    owner = owner_of(tenant)
    await _customer(owner)
    job = await start(owner, settings, ORDERS, kind=ImportKind.ORDERS)
    with queue_bound(arq_redis):
        done = await run(job, settings)
    assert (done.status, done.created_count) == (ImportStatus.SUCCEEDED, 1)
    assert await _sent(arq_redis) == {segment_refresh(tenant.organization_id).job_id}


async def test_a_dry_run_or_a_customers_import_asks_for_no_refresh(
    settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    owner = owner_of(tenant)
    await _customer(owner)
    dry = await start(owner, settings, ORDERS, kind=ImportKind.ORDERS, dry_run=True)
    customers = await start(owner, settings, csv_text("Email", "a@example.com"))
    with queue_bound(arq_redis):
        assert (await run(dry, settings)).created_count == 1  # counted, not written
        assert (await run(customers, settings)).created_count == 1
    assert await _sent(arq_redis) == set()
