"""The admin customer table's pages on the compiled path (app.graphql.persisted) answer
exactly as strawberry does: every request goes to an app with the compiled path and one
without, and status, headers and body bytes must be the same (the `Pair` of
test_persisted_operations). Tenancy, permissions, limits, cursors and masking come from the
same `customer_page` function both paths call."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from arq.connections import ArqRedis

from app.auth.permissions import ApiKeyScope
from app.auth.principal import Principal
from app.auth.service import create_api_key
from app.config import Settings, load_settings
from app.customers import service as customers
from app.customers.fields import CustomerInput
from app.graphql.persisted import PersistedOperations
from app.graphql.schema import build_schema
from app.models.customer import Customer, CustomerStatus
from tests.conftest import Tenant, make_tenant
from tests.graphql.test_persisted_operations import Pair, pair_for

PAGE = """query Page($sort: CustomerSortInput, $first: Int, $after: String, $last: Int,
                     $before: String, $where: CustomerWhereInput, $search: String) {
  customers(sortBy: $sort, first: $first, after: $after, last: $last, before: $before,
            where: $where, search: $search) {
    edges { cursor node { id firstName lastName email totalSpent lifecycleStage lastOrderAt } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
# The bench's document (bench/admin_api.py), with a literal sort.
BENCH = """query Page($after: String) {
  customers(sortBy: {field: TOTAL_SPENT, direction: DESC}, first: 20, after: $after) {
    edges { cursor node { id firstName lastName email totalSpent } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SHAPES = """query {
  __typename
  t: customers(first: 2, sortBy: {field: LAST_ORDER_AT}) {
    __typename
    pageInfo { end: endCursor __typename }
    e: edges { node { __typename n: lastName consent { emailOptIn smsState } rfm { segment } } }
  }
}"""
WITH_COUNT = "{ customers(first: 2) { totalCount edges { node { id } } } }"
WITH_WALLET = "{ customers(first: 2) { edges { node { id wallet { balance } } } } }"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest_asyncio.fixture
async def pair(settings: Settings, arq_redis: ArqRedis) -> AsyncIterator[Pair]:
    async for each in pair_for(settings, arq_redis):
        yield each


@pytest_asyncio.fixture
async def shop(tenant: Tenant) -> Tenant:
    """Customers with ties in spend and NULL last orders; an archived one; another tenant's."""
    rng = random.Random(4)
    for n in range(9):
        customer = await customers.create_customer(
            Principal.system(tenant.organization_id),
            CustomerInput(email=f"c{n}@example.com", last_name=f"Name{n % 4}"),
        )
        await Customer.filter(id=customer.id).update(
            total_spent=Decimal(rng.choice([0, 15, 15, 40])),
            last_order_at=None if n % 3 == 0 else T0 + dt.timedelta(days=rng.randint(0, 3)),
            status=CustomerStatus.ARCHIVED if n == 8 else CustomerStatus.ACTIVE,
        )
    other = await make_tenant("Other")
    await customers.create_customer(
        Principal.system(other.organization_id), CustomerInput(email="o@example.com")
    )
    return tenant


async def ask(
    pair: Pair, tenant: Tenant, variables: dict[str, Any], *, query: str = PAGE, path: str
) -> dict[str, Any]:
    response = await pair.compare(
        {"query": query, "variables": variables},
        tenant.token,
        path=path,  # type: ignore[arg-type]
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]


async def test_the_customers_list_compiles() -> None:
    operations = PersistedOperations.for_schema(build_schema(load_settings({})))
    assert operations is not None
    for text in (PAGE, BENCH, SHAPES):
        assert operations.operation_for(text) is not None, text
    for text in (WITH_COUNT, WITH_WALLET):
        assert operations.operation_for(text) is None, text


async def test_every_sort_forward_and_backward(pair: Pair, shop: Tenant) -> None:
    for field in ("TOTAL_SPENT", "LAST_ORDER_AT", "LAST_NAME", "CREATED_AT"):
        for direction in ("ASC", "DESC"):
            sort = {"field": field, "direction": direction}
            forward: list[str] = []
            after = None
            while True:
                body = await ask(
                    pair, shop, {"sort": sort, "first": 3, "after": after}, path="compiled"
                )
                page = body["data"]["customers"]
                forward += [e["node"]["id"] for e in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            backward: list[str] = []
            before = None
            while True:
                body = await ask(
                    pair, shop, {"sort": sort, "last": 4, "before": before}, path="compiled"
                )
                page = body["data"]["customers"]
                backward = [e["node"]["id"] for e in page["edges"]] + backward
                if not page["pageInfo"]["hasPreviousPage"]:
                    break
                before = page["pageInfo"]["startCursor"]
            # Eight active customers of this tenant: not the archived one, not the other's.
            assert len(forward) == 8, sort
            assert forward == backward, sort


async def test_filters_search_and_the_bench_document(pair: Pair, shop: Tenant) -> None:
    body = await ask(pair, shop, {"where": {"lifecycleStages": ["MEMBER"]}}, path="compiled")
    assert len(body["data"]["customers"]["edges"]) == 8
    body = await ask(pair, shop, {"search": "c3@example.com"}, path="compiled")
    assert [e["node"]["email"] for e in body["data"]["customers"]["edges"]] == ["c3@example.com"]
    body = await ask(pair, shop, {}, query=BENCH, path="compiled")
    cursor = body["data"]["customers"]["pageInfo"]["endCursor"]
    await ask(pair, shop, {"after": cursor}, query=BENCH, path="compiled")
    await ask(pair, shop, {}, query=SHAPES, path="compiled")


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"after": "not a cursor"}, "INVALID_ARGUMENT"),
        ({"first": 101}, "PAGINATION_LIMIT"),
        ({"first": 2, "last": 2}, "INVALID_ARGUMENT"),
        ({"sort": {"field": "NO_SUCH_FIELD"}}, ""),
        ({"first": "two"}, ""),
        ({"where": {"createdAfter": "yesterday"}}, ""),
        ({"search": "x" * 101}, "VALUE_TOO_LONG"),
    ],
)
async def test_refusals_are_the_same(
    pair: Pair, shop: Tenant, variables: dict[str, Any], code: str
) -> None:
    body = await ask(pair, shop, variables, path="compiled")
    assert codes(body) == [code], body
    assert body["data"] is None


async def test_a_cursor_of_another_sort_is_refused_the_same_way(pair: Pair, shop: Tenant) -> None:
    by_spend = {"field": "TOTAL_SPENT", "direction": "DESC"}
    body = await ask(pair, shop, {"sort": by_spend, "first": 1}, path="compiled")
    cursor = body["data"]["customers"]["pageInfo"]["endCursor"]
    by_name = {"field": "LAST_NAME", "direction": "DESC"}
    body = await ask(pair, shop, {"sort": by_name, "after": cursor}, path="compiled")
    assert codes(body) == ["CURSOR_MISMATCH"]


async def test_credentials_and_permissions_are_the_same(pair: Pair, shop: Tenant) -> None:
    principal = Principal.system(shop.organization_id)
    pos = (await create_api_key(principal, "POS", [ApiKeyScope.WALLET_READ])).key
    crm = (await create_api_key(principal, "CRM", [ApiKeyScope.CUSTOMERS_READ])).key
    payload = {"query": BENCH, "variables": {}}
    for token, expected in (
        (None, "UNAUTHENTICATED"),
        ("garbage", "INVALID_CREDENTIALS"),
        (pos, "FORBIDDEN"),
    ):
        response = await pair.compare(payload, token, path="compiled")
        assert codes(response.json()) == [expected]
    response = await pair.compare(payload, crm, path="compiled")
    assert len(response.json()["data"]["customers"]["edges"]) == 8


async def test_count_and_loaded_fields_are_left_to_strawberry(pair: Pair, shop: Tenant) -> None:
    body = await ask(pair, shop, {}, query=WITH_COUNT, path="fallback")
    assert body["data"]["customers"]["totalCount"] == 8
    await ask(pair, shop, {}, query=WITH_WALLET, path="fallback")
