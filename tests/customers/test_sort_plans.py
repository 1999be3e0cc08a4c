"""On PostgreSQL every sort of the customer list is an index scan led by the organization:
no sequential scan of the customer table for a page of 20, first or deep, either direction."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from tortoise import connections

from app.core.keyset import segment_queries
from app.core.sorting import Position, SortDirection, SortedPageRequest
from app.customers import service
from app.customers.sorting import CUSTOMER_SORTS
from app.models.customer import Customer
from tests.conftest import Tenant, make_tenant
from tests.factories import owner_of
from tests.query_plans import assert_index_order, explain

pytestmark = pytest.mark.postgres_only

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


async def seed(organization_id: object, count: int, rng: random.Random) -> None:
    rows = []
    for n in range(count):
        name = "".join(rng.choice("abcdefgh") for _ in range(5))
        rows.append(
            Customer(
                organization_id=organization_id,
                last_name=name,
                last_name_key=name,
                total_spent=Decimal(rng.randint(0, 50000)) / 100,
                order_count=rng.randint(0, 40),
                points_balance=rng.randint(0, 5000),
                last_order_at=None
                if n % 3 == 0
                else T0 + dt.timedelta(minutes=rng.randint(0, 10**6)),
                created_at=T0 + dt.timedelta(seconds=n),
                predicted_spend_365d=None if n % 3 == 1 else Decimal(rng.randint(0, 90000)) / 100,
                predicted_probability_alive=None
                if n % 3 == 1
                else Decimal(rng.randint(0, 10**6)) / 10**6,
            )
        )
    await Customer.bulk_create(rows, batch_size=2000)


async def test_every_sort_field_reads_an_index(tenant: Tenant) -> None:
    rng = random.Random(7)
    await seed(tenant.organization_id, 30_000, rng)
    other = await make_tenant("Other")
    await seed(other.organization_id, 30_000, rng)
    await connections.get("default").execute_script("ANALYZE customer")

    principal = owner_of(tenant)
    middle = await Customer.filter(organization_id=tenant.organization_id).offset(15_000).first()
    assert middle is not None
    for key in (*CUSTOMER_SORTS.keys, CUSTOMER_SORTS.default.key):
        for direction in SortDirection:
            sort = (
                CUSTOMER_SORTS.sort(key.name, direction)
                if key.name != "ID"
                else CUSTOMER_SORTS.default
            )
            cursors = [None, Position(sort.value_of(middle), middle.id)]
            if key.nullable:
                cursors.append(Position(None, middle.id))
            for position in cursors:
                for forward in (True, False):
                    request = SortedPageRequest(sort, 20, forward, position)
                    query = await service.filtered(principal)
                    for statement in segment_queries(query, request):
                        plan = await explain(statement.sql(params_inline=True))
                        where = (key.name, direction, position, forward)
                        assert_index_order(plan, "customer", where)
