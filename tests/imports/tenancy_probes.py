"""Import probes for tests/graphql/test_tenancy.py: organization B against A's import jobs."""

from __future__ import annotations

import json
from typing import Any, Protocol

import httpx

from tests.conftest import GraphQLClient

START = """
mutation($input: ImportStartInput!) {
  importStart(input: $input) { importJob { id status } errors { code } }
}"""
FILE = b"Email,First Name\nalice@a-shop.com,Alice\n"


async def upload(http: httpx.AsyncClient, token: str, content: bytes) -> dict[str, Any]:
    operations = {"query": START, "variables": {"input": {"kind": "CUSTOMERS", "file": None}}}
    response = await http.post(
        "/graphql",
        headers={"authorization": f"Bearer {token}"},
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": ("a.csv", content, "text/csv")},
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"]["importStart"]
    assert payload["errors"] == []
    return payload


async def plant_import(gql: GraphQLClient, token: str) -> str:
    """A queued import job of A's (its file names A's customer)."""
    job_id: str = (await upload(gql.http, token, FILE))["importJob"]["id"]
    return job_id


class IntruderLike(Protocol):
    gql: GraphQLClient
    token: str
    exercised: set[str]

    async def data(
        self, document: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]: ...

    async def payload_codes(
        self, document: str, variables: dict[str, Any], token: str | None = None
    ) -> list[str]: ...


async def probe_imports(b: IntruderLike, a_job_id: str) -> None:
    one = "query($id: ID!) { importJob(id: $id) { id status } }"
    assert (await b.data(one, {"id": a_job_id}))["importJob"] is None
    listing = await b.data("{ importJobs(first: 100) { nodes { id } } }")
    assert listing["importJobs"]["nodes"] == []
    cancel = "mutation($id: ID!) { importCancel(id: $id) { importJob { id } errors { code } } }"
    assert await b.payload_codes(cancel, {"id": a_job_id}) == ["NOT_FOUND"]
    schedule = """mutation($id: ID!) { importSmsScheduleUpdate(importJobId: $id,
      schedule: {send: NEVER}) { importJob { id } errors { code } } }"""
    assert await b.payload_codes(schedule, {"id": a_job_id}) == ["NOT_FOUND"]
    report = await b.gql.http.get(
        f"/imports/{a_job_id}/errors.csv", headers={"authorization": f"Bearer {b.token}"}
    )
    assert report.status_code == 404
    # B's own upload of the same file is B's job, in B's history only.
    mine = await upload(b.gql.http, b.token, FILE)
    b.exercised.add("mutation.importStart")
    assert mine["importJob"]["id"] != a_job_id
    listing = await b.data("{ importJobs(first: 100) { nodes { id } } }")
    assert listing["importJobs"]["nodes"] == [{"id": mine["importJob"]["id"]}]
