"""A customer's orders sorted by purchase time or total: every page forward and backward
gives the orders sorted in Python; a cursor of the other sort is refused."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from app.models.customer import Customer
from app.models.order import Order
from app.orders.sorting import ORDER_SORTS
from tests.conftest import GraphQLClient, Tenant
from tests.sorted_walks import sorted_ids, walk_backward, walk_forward

PAGE = """
query($id: ID!, $sort: OrderSortInput, $first: Int, $after: String, $last: Int,
      $before: String) {
  customer(id: $id) {
    orders(sortBy: $sort, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""
T0 = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


async def test_every_sort_both_ways(gql: GraphQLClient, tenant: Tenant) -> None:
    rng = random.Random(4)
    customer = await Customer.create(organization_id=tenant.organization_id)
    other = await Customer.create(organization_id=tenant.organization_id)
    orders = []
    for n in range(13):
        orders.append(
            await Order.create(
                organization_id=tenant.organization_id,
                customer_id=customer.id,
                receipt_number=f"R-{n}",
                # "100.00" < "9.99" as text: a total sorted as a string would fail.
                total=rng.choice([Decimal("9.99"), Decimal("100.00"), Decimal("25.50")]),
                placed_at=T0 + dt.timedelta(days=rng.choice([0, 1, 5])),
            )
        )
    await Order.create(
        organization_id=tenant.organization_id,
        customer_id=other.id,
        receipt_number="R-other",
        total=Decimal(1),
        placed_at=T0,
    )

    async def fetch(variables: dict[str, Any]) -> dict[str, Any]:
        data = await gql.data(PAGE, {**variables, "id": str(customer.id)}, tenant.token)
        page: dict[str, Any] = data["customer"]["orders"]
        assert page["totalCount"] == len(orders)
        return page

    for key in ORDER_SORTS.keys:
        for direction in ("ASC", "DESC"):
            want = sorted_ids([(getattr(o, key.column), o.id) for o in orders], direction)
            sort = {"field": key.name, "direction": direction}
            assert await walk_forward(fetch, sort, 4) == want, sort
            assert await walk_backward(fetch, sort, 5) == want, sort
    newest = sorted_ids([(o.id, o.id) for o in orders], "DESC")
    assert await walk_forward(fetch, None, 6) == newest

    first = await fetch({"sort": {"field": "TOTAL"}, "first": 2})
    codes = await gql.error_codes(
        PAGE,
        {
            "id": str(customer.id),
            "sort": {"field": "PLACED_AT"},
            "after": first["pageInfo"]["endCursor"],
        },
        tenant.token,
    )
    assert codes == ["CURSOR_MISMATCH"]
