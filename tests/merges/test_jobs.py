"""A merge and an unmerge ask for the segment refresh (lifecycle, RFM) after they commit; a dry
run and a refused merge ask for nothing."""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.jobs import queue_bound
from app.lifecycle.jobs import segment_refresh
from app.merges.service import MergeRequest, merge_customers, unmerge
from tests.conftest import Tenant
from tests.wallets.helpers import new_customer


async def refresh_status(redis: ArqRedis, tenant: Tenant) -> JobStatus:
    return await ArqJob(segment_refresh(tenant.organization_id).job_id, redis).status()


async def test_merge_and_unmerge_ask_for_a_segment_refresh(
    tenant: Tenant, arq_redis: ArqRedis
) -> None:
    principal = Principal.system(tenant.organization_id)
    a = await new_customer(principal, email="a@example.com")
    b = await new_customer(principal, email="b@example.com")
    await arq_redis.flushdb()
    with queue_bound(arq_redis):
        await merge_customers(principal, MergeRequest(a.id, [b.id], dry_run=True))
        with pytest.raises(DomainError):
            await merge_customers(principal, MergeRequest(a.id, [a.id]))
        assert await refresh_status(arq_redis, tenant) is JobStatus.not_found
        outcome = await merge_customers(principal, MergeRequest(a.id, [b.id]))
        assert await refresh_status(arq_redis, tenant) is JobStatus.deferred
        await arq_redis.flushdb()
        assert outcome.merge is not None
        await unmerge(principal, outcome.merge.id)
        assert await refresh_status(arq_redis, tenant) is JobStatus.deferred
