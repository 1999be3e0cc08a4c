"""An order asks for the debounced segment refresh itself, only once its transaction commits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import ValidationFailed
from app.core.jobs import queue_bound
from app.lifecycle.jobs import REFRESH_SEGMENTS, segment_refresh
from app.orders.service import OrderInput, record_order, reverse_order
from tests.conftest import GraphQLClient, Tenant
from tests.orders.test_graphql import RECORD, order_input, pos
from tests.wallets.helpers import new_customer


async def _refresh_status(redis: ArqRedis, tenant: Tenant) -> JobStatus:
    return await ArqJob(segment_refresh(tenant.organization_id).job_id, redis).status()


async def test_a_recorded_order_defers_one_refresh_of_its_organization(
    gql: GraphQLClient, tenant: Tenant, arq_redis: ArqRedis
) -> None:
    customer = await new_customer(Principal.system(tenant.organization_id), email="a@example.com")
    key = await pos(tenant)

    await gql.data(RECORD, {"input": order_input(str(customer.id), "R-1")}, key)
    await gql.data(RECORD, {"input": order_input(str(customer.id), "R-2")}, key)

    assert await _refresh_status(arq_redis, tenant) is JobStatus.deferred
    queued = [j for j in await arq_redis.queued_jobs() if j.function == REFRESH_SEGMENTS]
    assert [(j.job_id, j.args) for j in queued] == [
        (f"segments:{tenant.organization_id}", (str(tenant.organization_id),))
    ]


async def test_a_refused_order_asks_for_nothing(tenant: Tenant, arq_redis: ArqRedis) -> None:
    principal = Principal.system(tenant.organization_id)
    customer = await new_customer(principal, email="b@example.com")
    refused = OrderInput(customer.id, "", Decimal("-1"), utcnow())

    with queue_bound(arq_redis), pytest.raises(ValidationFailed):
        await record_order(principal, refused)

    assert await _refresh_status(arq_redis, tenant) is JobStatus.not_found


async def test_a_refund_asks_for_a_refresh_too(tenant: Tenant, arq_redis: ArqRedis) -> None:
    principal = Principal.system(tenant.organization_id)
    customer = await new_customer(principal, email="c@example.com")
    recorded = await record_order(principal, OrderInput(customer.id, "R-3", Decimal(10), utcnow()))
    await arq_redis.flushdb()

    with queue_bound(arq_redis):
        await reverse_order(principal, recorded.order.id, void=False, reason="returned")

    assert await _refresh_status(arq_redis, tenant) is JobStatus.deferred
