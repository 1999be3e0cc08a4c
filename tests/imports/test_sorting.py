"""The import history sorted by creation, end (NULL while running) and size: every page
forward and backward gives the jobs sorted in Python; the default stays newest first."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from app.imports.sorting import IMPORT_JOB_SORTS
from app.models.imports import ImportJob, ImportKind, ImportStatus
from tests.conftest import GraphQLClient, Tenant, make_tenant
from tests.sorted_walks import sorted_ids, walk_backward, walk_forward

PAGE = """
query($sort: ImportJobSortInput, $first: Int, $after: String, $last: Int, $before: String,
      $kind: ImportKind) {
  importJobs(sortBy: $sort, kind: $kind, first: $first, after: $after, last: $last,
             before: $before) {
    totalCount
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


async def seed(organization_id: object, count: int, rng: random.Random) -> list[ImportJob]:
    jobs = []
    for n in range(count):
        finished = rng.choice([None, T0, T0 + dt.timedelta(hours=1)])
        job = await ImportJob.create(
            organization_id=organization_id,
            kind=rng.choice(list(ImportKind)),
            status=ImportStatus.SUCCEEDED if finished else ImportStatus.RUNNING,
            file_path=f"uploads/{n}.csv",
            file_name=f"{n}.csv",
            total_rows=rng.choice([0, 10, 10, 500]),
            finished_at=finished,
        )
        await ImportJob.filter(id=job.id).update(
            created_at=T0 - dt.timedelta(days=rng.randint(0, 2))
        )
        jobs.append(await ImportJob.get(id=job.id))
    return jobs


async def test_every_sort_both_ways(gql: GraphQLClient, tenant: Tenant) -> None:
    rng = random.Random(9)
    jobs = await seed(tenant.organization_id, 14, rng)
    await seed((await make_tenant("Other")).organization_id, 4, rng)

    async def fetch(variables: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await gql.data(PAGE, variables, tenant.token))["importJobs"]
        assert page["totalCount"] == len(jobs)
        return page

    for key in IMPORT_JOB_SORTS.keys:
        for direction in ("ASC", "DESC"):
            want = sorted_ids([(getattr(j, key.column), j.id) for j in jobs], direction)
            sort = {"field": key.name, "direction": direction}
            assert await walk_forward(fetch, sort, 4) == want, sort
            assert await walk_backward(fetch, sort, 3) == want, sort
    newest_first = sorted_ids([(j.id, j.id) for j in jobs], "DESC")
    assert await walk_forward(fetch, None, 5) == newest_first
    assert await walk_backward(fetch, None, 5) == newest_first


async def test_filters_apply_to_sorted_pages(gql: GraphQLClient, tenant: Tenant) -> None:
    jobs = await seed(tenant.organization_id, 10, random.Random(2))
    sort = {"field": "TOTAL_ROWS", "direction": "DESC"}
    data = await gql.data(PAGE, {"sort": sort, "kind": "ORDERS", "first": 100}, tenant.token)
    orders = [j for j in jobs if j.kind is ImportKind.ORDERS]
    want = sorted_ids([(j.total_rows, j.id) for j in orders], "DESC")
    assert [e["node"]["id"] for e in data["importJobs"]["edges"]] == want
    assert data["importJobs"]["totalCount"] == len(orders)
