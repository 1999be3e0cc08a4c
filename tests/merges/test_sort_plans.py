"""On PostgreSQL every sort of the organization's merges is an index scan led by the
organization: no sequential scan of the merge table for a page of 20, first or deep, either
direction."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
from tortoise import connections

from app.core.keyset import segment_queries
from app.core.sorting import Position, SortDirection, SortedPageRequest
from app.merges import repository
from app.merges.sorting import MERGE_SORTS
from app.models.audit import ActorKind
from app.models.customer import Customer
from app.models.merge import CustomerMerge
from tests.conftest import Tenant, make_tenant
from tests.query_plans import assert_index_order, explain

pytestmark = pytest.mark.postgres_only

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


async def seed(organization_id: uuid.UUID, count: int, rng: random.Random) -> None:
    # Merge records only: the plans depend on the merge table's rows, not on real merges.
    survivor = await Customer.create(organization_id=organization_id)
    rows = []
    for n in range(count):
        made = T0 + dt.timedelta(minutes=rng.randint(0, 10**6))
        rows.append(
            CustomerMerge(
                organization_id=organization_id,
                survivor_id=survivor.id,
                merged_ids=[],
                actor_kind=ActorKind.STAFF,
                created_at=made,
                undone_at=None if n % 4 else made + dt.timedelta(days=rng.randint(1, 30)),
            )
        )
    await CustomerMerge.bulk_create(rows, batch_size=2000)


async def test_every_sort_field_reads_an_index(tenant: Tenant) -> None:
    rng = random.Random(7)
    await seed(tenant.organization_id, 20_000, rng)
    await seed((await make_tenant("Other")).organization_id, 20_000, rng)
    await connections.get("default").execute_script("ANALYZE customer_merge")

    listed = repository.listed(tenant.organization_id)
    middle = await listed.order_by("id").offset(10_000).first()
    assert middle is not None
    for key in (*MERGE_SORTS.keys, MERGE_SORTS.default.key):
        for direction in SortDirection:
            sort = (
                MERGE_SORTS.sort(key.name, direction) if key.name != "ID" else MERGE_SORTS.default
            )
            cursors = [None, Position(sort.value_of(middle), middle.id)]
            if key.nullable:
                cursors.append(Position(None, middle.id))
            for position in cursors:
                for forward in (True, False):
                    request = SortedPageRequest(sort, 20, forward, position)
                    for statement in segment_queries(listed, request):
                        plan = await explain(statement.sql(params_inline=True))
                        where = (key.name, direction, position, forward)
                        assert_index_order(plan, "customer_merge", where)
