"""`importJobProgress` over a real WebSocket, with the import run for real publishing its
progress through Redis."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from app.config import Settings
from app.core.jobs import queue_bound
from app.imports.runner import run_import
from app.imports.service import cancel_job
from app.models.imports import ImportJob
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import csv_text, start
from tests.live_client import live_client, served

IMPORT_PROGRESS = """
subscription($id: ID!) {
  importJobProgress(id: $id) {
    progress {
      id status totalRows processedRows createdCount updatedCount unchangedCount
      invalidCount suppressedCount errorCode done
    }
    errors { field code message }
  }
}"""

ROWS = 45
BATCH = 10


def customers_csv() -> str:
    rows = [f"c-{i},person{i}@example.com,First{i},Last{i}" for i in range(ROWS)]
    # Two rows with an invalid email: counted as invalid, and the job ends PARTIAL.
    rows += ["c-bad-1,not-an-email,X,Y", "c-bad-2,also bad,X,Y"]
    return csv_text("Customer ID,Email,First Name,Last Name", *rows)


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.with_overrides(subscription_recheck_seconds=0.5)


async def test_progress_arrives_in_order_and_the_subscription_completes(
    live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), live_settings, customers_csv(), batch_size=BATCH)
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        operation = await client.subscribe(IMPORT_PROGRESS, {"id": str(job.id)})
        first = await client.next_for(operation)
        assert first["type"] == "next"
        assert first["payload"]["data"]["importJobProgress"]["progress"]["status"] == "QUEUED"
        # The worker's job function, publishing through the same Redis.
        with queue_bound(arq_redis):
            assert await run_import(job.id, live_settings) == "PARTIAL"
        events = [p["data"]["importJobProgress"] for p in await client.events(operation)]

    assert all(e["errors"] == [] for e in events)
    progress = [e["progress"] for e in events]
    processed = [p["processedRows"] for p in progress]
    assert processed == sorted(processed), processed
    # One event per committed batch at least (47 rows in batches of 10: 5 batches).
    assert len({p for p in processed if p > 0}) >= 5
    assert progress[0]["status"] == "RUNNING"
    assert [p["done"] for p in progress] == [False] * (len(progress) - 1) + [True]
    last = progress[-1]
    stored = await ImportJob.get(id=job.id)
    assert last == {
        "id": str(job.id),
        "status": "PARTIAL",
        "totalRows": ROWS + 2,
        "processedRows": stored.processed_rows,
        "createdCount": ROWS,
        "updatedCount": 0,
        "unchangedCount": 0,
        "invalidCount": 2,
        "suppressedCount": 0,
        "errorCode": None,
        "done": True,
    }
    assert stored.processed_rows == ROWS + 2


async def test_an_ended_job_gives_its_final_state_and_completes(
    live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), live_settings, customers_csv(), batch_size=BATCH)
    await cancel_job(owner_of(tenant), live_settings, job.id)
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        operation = await client.subscribe(IMPORT_PROGRESS, {"id": str(job.id)})
        events = await client.events(operation)
    assert [e["data"]["importJobProgress"]["progress"]["status"] for e in events] == ["CANCELLED"]


async def test_a_cancel_reaches_the_subscriber(
    live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    job = await start(owner_of(tenant), live_settings, customers_csv(), batch_size=BATCH)
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        operation = await client.subscribe(IMPORT_PROGRESS, {"id": str(job.id)})
        await client.next_for(operation)
        with queue_bound(arq_redis):
            await cancel_job(owner_of(tenant), live_settings, job.id)
        events = await client.events(operation)
    last = events[-1]["data"]["importJobProgress"]["progress"]
    assert (last["status"], last["done"]) == ("CANCELLED", True)


async def test_another_organizations_job_is_not_found(
    live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant, other_tenant: Tenant
) -> None:
    job = await start(owner_of(other_tenant), live_settings, customers_csv())
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        operation = await client.subscribe(IMPORT_PROGRESS, {"id": str(job.id)})
        events = await client.events(operation)
    assert events == [
        {
            "data": {
                "importJobProgress": {
                    "progress": None,
                    "errors": [{"field": "id", "code": "NOT_FOUND", "message": "No such import."}],
                }
            }
        }
    ]
