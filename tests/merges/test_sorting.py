"""Merges sorted by when they were made and when they were undone (NULL while standing): every
page forward and backward gives the merges sorted in Python, for the organization's list and a
customer's own; the default stays newest first; a cursor of another sort or list is refused."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from app.merges.sorting import MERGE_SORTS
from app.models.audit import ActorKind
from app.models.customer import Customer
from app.models.merge import CustomerMerge, CustomerMergeMember, MergeRole
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.sorted_walks import sorted_ids, walk_backward, walk_forward

PAGE = """
query($sort: MergeSortInput, $first: Int, $after: String, $last: Int, $before: String) {
  merges(sortBy: $sort, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
CUSTOMER_PAGE = """
query($id: ID!, $sort: MergeSortInput, $first: Int, $after: String, $last: Int,
      $before: String) {
  customer(id: $id) {
    merges(sortBy: $sort, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


async def seed(
    organization_id: uuid.UUID, count: int, rng: random.Random, survivor: Customer | None = None
) -> list[CustomerMerge]:
    """`count` merge records, with ties in both sort values and about a third undone; with
    `survivor`, all of them into that customer."""
    merges = []
    for _ in range(count):
        into = survivor or await Customer.create(organization_id=organization_id)
        merged = await Customer.create(organization_id=organization_id)
        made = T0 + dt.timedelta(hours=rng.choice([0, 1, 1, 2, 3]))
        record = await CustomerMerge.create(
            organization_id=organization_id,
            survivor_id=into.id,
            merged_ids=[str(merged.id)],
            actor_kind=ActorKind.STAFF,
            created_at=made,
            undone_at=rng.choice([None, made + dt.timedelta(days=1), made + dt.timedelta(days=2)]),
        )
        for position, (customer, role) in enumerate(
            ((into, MergeRole.SURVIVOR), (merged, MergeRole.MERGED))
        ):
            await CustomerMergeMember.create(
                merge_id=record.id, customer_id=customer.id, role=role, position=position
            )
        merges.append(record)
    return merges


def expected(merges: list[CustomerMerge], column: str, direction: str) -> list[str]:
    return sorted_ids([(getattr(m, column), m.id) for m in merges], direction)


async def test_every_sort_both_ways(gql: GraphQLClient, tenant: Tenant) -> None:
    rng = random.Random(5)
    merges = await seed(tenant.organization_id, 13, rng)
    await seed((await make_tenant("Other")).organization_id, 4, rng)

    async def fetch(variables: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await gql.data(PAGE, variables, tenant.token))["merges"]
        assert page["totalCount"] == len(merges)
        return page

    for key in MERGE_SORTS.keys:
        for direction in ("ASC", "DESC"):
            want = expected(merges, key.column, direction)
            sort = {"field": str(key.name), "direction": direction}
            assert await walk_forward(fetch, sort, 4) == want, sort
            assert await walk_backward(fetch, sort, 5) == want, sort
    newest = [str(m.id) for m in sorted(merges, key=lambda m: m.id, reverse=True)]
    assert await walk_forward(fetch, None, 6) == newest
    assert await walk_backward(fetch, None, 5) == newest


async def test_a_customers_merges_sort_both_ways(gql: GraphQLClient, tenant: Tenant) -> None:
    rng = random.Random(8)
    survivor = await Customer.create(organization_id=tenant.organization_id)
    mine = await seed(tenant.organization_id, 9, rng, survivor)
    await seed(tenant.organization_id, 5, rng)  # merges the customer took no part in

    async def fetch(variables: dict[str, Any]) -> dict[str, Any]:
        data = await gql.data(CUSTOMER_PAGE, {"id": str(survivor.id), **variables}, tenant.token)
        page: dict[str, Any] = data["customer"]["merges"]
        assert page["totalCount"] == len(mine)
        return page

    for key in MERGE_SORTS.keys:
        for direction in ("ASC", "DESC"):
            want = expected(mine, key.column, direction)
            sort = {"field": str(key.name), "direction": direction}
            assert await walk_forward(fetch, sort, 2) == want, sort
            assert await walk_backward(fetch, sort, 4) == want, sort


async def test_a_cursor_of_another_sort_or_list_is_refused(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    survivor = await Customer.create(organization_id=tenant.organization_id)
    await seed(tenant.organization_id, 3, random.Random(3), survivor)
    by_undo = {"field": "UNDONE_AT", "direction": "DESC"}
    first = await gql.data(PAGE, {"sort": by_undo, "first": 1}, tenant.token)
    cursor = first["merges"]["pageInfo"]["endCursor"]

    other_sort = {"sort": {"field": "MERGED_AT", "direction": "DESC"}, "first": 1, "after": cursor}
    body = await gql.raw(PAGE, other_sort, tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "CURSOR_MISMATCH"

    # The same sort on a customer's merges is another list: its cursors are not interchangeable.
    same_sort = {"id": str(survivor.id), "sort": by_undo, "first": 1, "after": cursor}
    body = await gql.raw(CUSTOMER_PAGE, same_sort, tenant.token)
    assert body["errors"][0]["extensions"]["code"] == "CURSOR_MISMATCH"
