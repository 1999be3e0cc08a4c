"""`personaRegeneration` over a real WebSocket, with a real arq worker running the regeneration
and publishing its steps through Redis."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis

from app.config import Settings
from app.core.jobs import queue_bound
from app.models.persona import PersonaSet
from app.personas import service
from tests.burst_worker import run_worker
from tests.conftest import Tenant
from tests.live_client import live_client, served
from tests.personas.fixtures import seeded_tenant, staff

PROGRESS = """
subscription($id: ID) {
  personaRegeneration(setId: $id) {
    progress { setId status step stepNumber stepCount customerCount errorCode done }
    errors { field code message }
  }
}"""


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    return settings.with_overrides(subscription_recheck_seconds=0.5)


async def test_steps_arrive_in_order_and_the_subscription_completes(
    live_settings: Settings, arq_redis: ArqRedis, redis_url: str
) -> None:
    tenant = await seeded_tenant(300)
    with queue_bound(arq_redis):
        requested = await service.request_regeneration(staff(tenant))
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        # No id: the organization's latest regeneration.
        operation = await client.subscribe(PROGRESS, {})
        first = await client.next_for(operation)
        assert first["payload"]["data"]["personaRegeneration"]["progress"]["step"] == "QUEUED"
        assert await run_worker(live_settings, redis_url) == 1
        events = [p["data"]["personaRegeneration"] for p in await client.events(operation)]

    assert all(e["errors"] == [] for e in events)
    progress = [e["progress"] for e in events]
    assert {p["setId"] for p in progress} == {str(requested.id)}
    assert [p["step"] for p in progress] == [
        "READING_DATA",
        "CLUSTERING",
        "DESCRIBING",
        "MATCHING",
        "WRITING",
        "DONE",
    ]
    assert [p["stepNumber"] for p in progress] == [2, 3, 4, 5, 6, 7]
    assert {p["stepCount"] for p in progress} == {7}
    done = await PersonaSet.get(id=requested.id)
    assert progress[-1] == {
        "setId": str(requested.id),
        "status": "READY",
        "step": "DONE",
        "stepNumber": 7,
        "stepCount": 7,
        "customerCount": done.customer_count,
        "errorCode": None,
        "done": True,
    }
    assert [p["done"] for p in progress[:-1]] == [False] * 5
    # Read once the customers are: the same count from then on.
    assert {p["customerCount"] for p in progress[1:]} == {done.customer_count}
    assert done.customer_count > 0


async def test_a_failed_run_ends_the_subscription_with_its_code(
    live_settings: Settings, arq_redis: ArqRedis
) -> None:
    tenant = await seeded_tenant(300)
    requested = await service.request_regeneration(staff(tenant))
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        operation = await client.subscribe(PROGRESS, {"id": str(requested.id)})
        await client.next_for(operation)
        with queue_bound(arq_redis):
            await service.fail_unexpectedly(staff(tenant), requested.id)
        events = [p["data"]["personaRegeneration"] for p in await client.events(operation)]
    last = events[-1]["progress"]
    assert (last["status"], last["errorCode"], last["done"]) == ("FAILED", "INTERNAL_ERROR", True)


async def test_another_organizations_set_and_no_set_at_all_are_not_found(
    live_settings: Settings, arq_redis: ArqRedis, tenant: Tenant
) -> None:
    other = await seeded_tenant(300, name="Globex")
    theirs = await service.request_regeneration(staff(other))
    not_found = [
        {
            "data": {
                "personaRegeneration": {
                    "progress": None,
                    "errors": [
                        {
                            "field": "setId",
                            "code": "NOT_FOUND",
                            "message": "No such persona regeneration.",
                        }
                    ],
                }
            }
        }
    ]
    async with served(live_settings, arq_redis) as url, live_client(url, tenant.token) as client:
        theirs_op = await client.subscribe(PROGRESS, {"id": str(theirs.id)})
        assert await client.events(theirs_op) == not_found
        # `tenant` never asked for a regeneration: there is no latest one.
        latest_op = await client.subscribe(PROGRESS, {})
        assert await client.events(latest_op) == not_found
