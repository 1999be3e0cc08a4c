"""Privacy requests sorted by receipt, deadline and completion (NULL while open): every page
forward and backward gives the requests sorted in Python; the default stays newest first."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from app.models.customer import Customer
from app.models.privacy_request import (
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestSource,
    PrivacyRequestStatus,
)
from app.privacy_requests.sorting import PRIVACY_REQUEST_SORTS
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.sorted_walks import sorted_ids, walk_backward, walk_forward

PAGE = """
query($sort: PrivacyRequestSortInput, $first: Int, $after: String, $last: Int,
      $before: String) {
  privacyRequests(sortBy: $sort, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


async def seed(organization_id: object, count: int, rng: random.Random) -> list[PrivacyRequest]:
    requests = []
    for n in range(count):
        customer = await Customer.create(organization_id=organization_id, email=f"p{n}@x.org")
        received = T0 + dt.timedelta(days=rng.choice([0, 1, 1, 2]))
        completed = rng.choice([None, T0 + dt.timedelta(days=3), T0 + dt.timedelta(days=4)])
        requests.append(
            await PrivacyRequest.create(
                organization_id=organization_id,
                kind=rng.choice(list(PrivacyRequestKind)),
                status=PrivacyRequestStatus.DONE if completed else PrivacyRequestStatus.VERIFIED,
                source=PrivacyRequestSource.STAFF,
                customer_id=customer.id,
                received_at=received,
                due_at=received + dt.timedelta(days=rng.choice([10, 30])),
                completed_at=completed,
            )
        )
    return requests


async def test_every_sort_both_ways(gql: GraphQLClient, tenant: Tenant) -> None:
    rng = random.Random(11)
    requests = await seed(tenant.organization_id, 13, rng)
    await seed((await make_tenant("Other")).organization_id, 4, rng)

    async def fetch(variables: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await gql.data(PAGE, variables, tenant.token))["privacyRequests"]
        assert page["totalCount"] == len(requests)
        return page

    for key in PRIVACY_REQUEST_SORTS.keys:
        for direction in ("ASC", "DESC"):
            want = sorted_ids([(getattr(r, key.column), r.id) for r in requests], direction)
            sort = {"field": str(key.name), "direction": direction}
            assert await walk_forward(fetch, sort, 4) == want, sort
            assert await walk_backward(fetch, sort, 5) == want, sort
    newest = [str(r.id) for r in sorted(requests, key=lambda r: r.id, reverse=True)]
    assert await walk_forward(fetch, None, 6) == newest


async def test_a_cursor_of_another_sort_is_refused(gql: GraphQLClient, tenant: Tenant) -> None:
    await seed(tenant.organization_id, 3, random.Random(3))
    by_due = await gql.data(
        PAGE, {"sort": {"field": "DUE_AT", "direction": "ASC"}, "first": 1}, tenant.token
    )
    cursor = by_due["privacyRequests"]["pageInfo"]["endCursor"]
    body = await gql.raw(
        PAGE,
        {"sort": {"field": "RECEIVED_AT", "direction": "ASC"}, "first": 1, "after": cursor},
        tenant.token,
    )
    assert body["errors"][0]["extensions"]["code"] == "CURSOR_MISMATCH"
