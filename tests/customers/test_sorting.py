"""Sorted customer pages: walking every page, forward and backward, in every sort gives
exactly the rows sorted in Python (ties broken by id, customers without an order last
ascending), and a cursor is only good for the sort it was taken under."""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from app.customers.sorting import CUSTOMER_SORTS
from app.models.customer import Customer, CustomerStatus
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.sorted_walks import FetchPage, sorted_ids, walk_backward, walk_forward

PAGE = """
query($sort: CustomerSortInput, $first: Int, $after: String, $last: Int, $before: String) {
  customers(sortBy: $sort, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Few distinct values, so every sort has long runs of ties; "100.00" < "12.25" < "9.50" as
# text, so a total sorted as a string would fail.
TOTALS = [Decimal("0"), Decimal("9.50"), Decimal("12.25"), Decimal("100"), Decimal("12.25")]
NAMES = ["abel", "baker", "baker", "cole", "", "zane"]


@dataclass(frozen=True)
class Row:
    id: uuid.UUID
    values: dict[str, Any]


async def seed(organization_id: uuid.UUID, count: int, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for _ in range(count):
        last_order = rng.choice([None, None, T0, T0 + dt.timedelta(days=3), T0 - dt.timedelta(1)])
        name = rng.choice(NAMES)
        customer = await Customer.create(
            organization_id=organization_id,
            last_name=name.title(),
            last_name_key=name,
            total_spent=rng.choice(TOTALS),
            order_count=rng.choice([0, 1, 1, 2]),
            points_balance=rng.choice([0, 50, 50, 700]),
            last_order_at=last_order,
            # Predictions: NULL (not scored), ties, and values that sort wrongly as text.
            predicted_spend_365d=rng.choice([None, Decimal("0"), Decimal("9.50"), Decimal("100")]),
            predicted_probability_alive=rng.choice(
                [None, Decimal("0.5"), Decimal("0.123456"), Decimal("1")]
            ),
        )
        created = T0 + dt.timedelta(hours=rng.choice([0, 1, 2]))
        await Customer.filter(id=customer.id).update(created_at=created)
        fresh = await Customer.get(id=customer.id)
        rows.append(Row(fresh.id, {k.name: getattr(fresh, k.column) for k in CUSTOMER_SORTS.keys}))
    return rows


def expected(rows: list[Row], field: str, direction: str) -> list[str]:
    return sorted_ids([(r.values[field], r.id) for r in rows], direction)


def fetcher(gql: GraphQLClient, token: str) -> FetchPage:
    async def fetch(variables: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await gql.data(PAGE, variables, token))["customers"]
        return page

    return fetch


class TestSortedWalks:
    async def test_every_sort_both_ways_matches_python(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        rng = random.Random(16)
        rows = await seed(tenant.organization_id, 23, rng)
        # Not listed: an archived customer, and another organization's customers.
        await Customer.create(
            organization_id=tenant.organization_id, status=CustomerStatus.ARCHIVED
        )
        other = await make_tenant("Other")
        await seed(other.organization_id, 5, rng)
        for key in CUSTOMER_SORTS.keys:
            for direction in ("ASC", "DESC"):
                sort = {"field": key.name, "direction": direction}
                want = expected(rows, key.name, direction)
                size = rng.choice([1, 3, 4, 7])
                fetch = fetcher(gql, tenant.token)
                assert await walk_forward(fetch, sort, size) == want, (sort, size)
                assert await walk_backward(fetch, sort, size) == want, (sort, size)

    async def test_a_page_in_the_middle_both_ways(self, gql: GraphQLClient, tenant: Tenant) -> None:
        rows = await seed(tenant.organization_id, 12, random.Random(3))
        sort = {"field": "LAST_ORDER_AT", "direction": "ASC"}
        want = expected(rows, "LAST_ORDER_AT", "ASC")
        first = (await gql.data(PAGE, {"sort": sort, "first": 5}, tenant.token))["customers"]
        assert first["totalCount"] == 12
        middle = await gql.data(
            PAGE, {"sort": sort, "first": 4, "after": first["pageInfo"]["endCursor"]}, tenant.token
        )
        ids = [e["node"]["id"] for e in middle["customers"]["edges"]]
        assert ids == want[5:9]
        back = await gql.data(
            PAGE,
            {"sort": sort, "last": 3, "before": middle["customers"]["pageInfo"]["endCursor"]},
            tenant.token,
        )
        assert [e["node"]["id"] for e in back["customers"]["edges"]] == want[5:8]
        info = back["customers"]["pageInfo"]
        assert info["hasPreviousPage"] is True
        assert info["hasNextPage"] is True

    async def test_without_sort_by_the_order_is_creation(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        rows = await seed(tenant.organization_id, 5, random.Random(1))
        data = await gql.data(PAGE, {"first": 10}, tenant.token)
        assert [e["node"]["id"] for e in data["customers"]["edges"]] == sorted(
            str(r.id) for r in rows
        )


class TestCursorRules:
    async def cursor(self, gql: GraphQLClient, token: str, sort: dict[str, str] | None) -> str:
        data = await gql.data(PAGE, {"sort": sort, "first": 1}, token)
        cursor: str = data["customers"]["pageInfo"]["endCursor"]
        return cursor

    @pytest.mark.parametrize(
        ("taken", "used"),
        [
            ({"field": "TOTAL_SPENT", "direction": "DESC"}, {"field": "TOTAL_SPENT"}),
            ({"field": "TOTAL_SPENT", "direction": "DESC"}, {"field": "LAST_NAME"}),
            (None, {"field": "CREATED_AT"}),
            ({"field": "CREATED_AT"}, None),
        ],
    )
    async def test_a_cursor_of_another_sort_is_refused(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        taken: dict[str, str] | None,
        used: dict[str, str] | None,
    ) -> None:
        await seed(tenant.organization_id, 3, random.Random(2))
        cursor = await self.cursor(gql, tenant.token, taken)
        for direction in ("after", "before"):
            codes = await gql.error_codes(PAGE, {"sort": used, direction: cursor}, tenant.token)
            assert codes == ["CURSOR_MISMATCH"], direction

    async def test_a_name_cursor_carries_no_name(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for name in ("zebedee", "yolanda"):
            await Customer.create(
                organization_id=tenant.organization_id, last_name=name.title(), last_name_key=name
            )
        cursor = await self.cursor(gql, tenant.token, {"field": "LAST_NAME"})
        assert "yolanda" not in base64.urlsafe_b64decode(cursor).decode().lower()
        after = await gql.data(
            PAGE, {"sort": {"field": "LAST_NAME"}, "after": cursor}, tenant.token
        )
        assert len(after["customers"]["edges"]) == 1
        # Another organization's credential: the cursor's row is not in its list.
        other = await make_tenant("Other")
        codes = await gql.error_codes(
            PAGE, {"sort": {"field": "LAST_NAME"}, "after": cursor}, other.token
        )
        assert codes == ["INVALID_ARGUMENT"]

    async def test_malformed_requests_are_typed_errors(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await seed(tenant.organization_id, 2, random.Random(2))
        audit = await gql.data(
            "{ auditEvents(first: 1) { pageInfo { endCursor } } }", None, tenant.token
        )
        id_cursor = audit["auditEvents"]["pageInfo"]["endCursor"]
        for variables in (
            {"after": "not a cursor"},
            {"after": id_cursor},
            {"first": 2, "last": 2},
            {"after": "azE6WyJjdXN0b21lcnMiLCJJRCIsIkFTQyIsbnVsbCwiMSJd"},
        ):
            codes = await gql.error_codes(PAGE, variables, tenant.token)
            assert codes == ["INVALID_ARGUMENT"], variables
        assert await gql.error_codes(PAGE, {"last": 101}, tenant.token) == ["PAGINATION_LIMIT"]
