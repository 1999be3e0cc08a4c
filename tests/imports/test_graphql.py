"""Imports over HTTP: GraphQL multipart upload, watching, history, cancel, the error report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from typing import Any

import httpx
from arq.connections import ArqRedis

from app.auth.permissions import ApiKeyScope
from app.config import Settings
from app.core.clock import utcnow
from app.imports.jobs import arq_job_id
from app.models.imports import ImportJob, ImportStatus
from app.models.staff import Role
from tests.burst_worker import run_worker
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, add_staff, client_for

JOB_FIELDS = """
  id kind status dryRun fileName fileSize progress errorCode errorMessage cancelRequested
  policy matchKey smsDoubleOptIn { send at } unmappedColumnsAsTraits awardPoints
  columns { column field } encoding delimiter errorReportUrl
  counts { total processed created updated unchanged invalid suppressed }
"""
IMPORT_START = f"""
mutation($input: ImportStartInput!) {{
  importStart(input: $input) {{ importJob {{ {JOB_FIELDS} }} errors {{ field code message }} }}
}}"""
IMPORT_JOB = f"""
query($id: ID!) {{
  importJob(id: $id) {{
    {JOB_FIELDS}
    rowErrors(first: 2) {{
      nodes {{ row column code message }} pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}"""
IMPORT_JOBS = """
query($kind: ImportKind, $status: ImportStatus, $first: Int, $after: String) {
  importJobs(kind: $kind, status: $status, first: $first, after: $after) {
    nodes { id kind status fileName } pageInfo { hasNextPage endCursor }
  }
}"""
IMPORT_CANCEL = """
mutation($id: ID!) {
  importCancel(id: $id) { importJob { id status cancelRequested } errors { field code } }
}"""


async def upload(
    http: httpx.AsyncClient,
    token: str,
    content: bytes,
    variables: dict[str, Any],
    file_name: str = "customers.csv",
) -> httpx.Response:
    """The GraphQL multipart request spec: operations, map, then the file part."""
    operations = {"query": IMPORT_START, "variables": {"input": {**variables, "file": None}}}
    return await http.post(
        "/graphql",
        headers={"authorization": f"Bearer {token}"},
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.input.file"]}),
        },
        files={"0": (file_name, content, "text/csv")},
    )


async def start_import(
    http: httpx.AsyncClient, token: str, content: bytes, **variables: Any
) -> dict[str, Any]:
    response = await upload(http, token, content, {"kind": "CUSTOMERS", **variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["importStart"]
    return payload


FILE = b"""Customer ID,E-mail,Mobile,First Name,Notes
c-1,Ann@Example.com,(202) 555-0143,Ann,likes tea
c-2,not-an-email,,Bad,
c-3,cid@example.com,,Cid,
c-4,cid@example.com,,Dup,
"""


class TestUploadAndWatch:
    async def test_multipart_upload_runs_through_the_worker(
        self,
        http: httpx.AsyncClient,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        at = (utcnow() + dt.timedelta(days=30)).replace(microsecond=0)
        payload = await start_import(
            http,
            tenant.token,
            FILE,
            unmappedColumnsAsTraits=True,
            smsDoubleOptIn={"send": "AT", "at": at.isoformat()},
        )
        assert payload["errors"] == []
        job = payload["importJob"]
        assert (job["status"], job["kind"], job["fileName"], job["fileSize"]) == (
            "QUEUED",
            "CUSTOMERS",
            "customers.csv",
            len(FILE),
        )
        assert job["columns"] == [
            {"column": "Customer ID", "field": "externalReference"},
            {"column": "E-mail", "field": "email"},
            {"column": "Mobile", "field": "phone"},
            {"column": "First Name", "field": "firstName"},
            {"column": "Notes", "field": "traits.Notes"},
        ]
        assert job["smsDoubleOptIn"] == {"send": "AT", "at": at.isoformat()}
        assert job["matchKey"] == ["EXTERNAL_REFERENCE", "EMAIL", "PHONE"]
        # Enqueued after the commit with the deterministic id; the job carries only the id.
        assert await arq_redis.exists(f"arq:job:{arq_job_id(job['id'])}")
        assert await run_worker(settings, redis_url) == 1

        data = await gql.data(IMPORT_JOB, {"id": job["id"]}, tenant.token)
        done = data["importJob"]
        assert (done["status"], done["progress"]) == ("PARTIAL", 1.0)
        assert done["counts"] == {
            "total": 4,
            "processed": 4,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "invalid": 2,
            "suppressed": 0,
        }
        errors = done["rowErrors"]
        assert errors["nodes"] == [
            {
                "row": 3,
                "column": "E-mail",
                "code": "INVALID_EMAIL",
                "message": "Email address is not valid.",
            },
            {
                "row": 5,
                "column": "E-mail",
                "code": "DUPLICATE_IN_FILE",
                "message": "Same email as row 4.",
            },
        ]
        assert errors["pageInfo"]["hasNextPage"] is False
        assert done["errorReportUrl"] == f"/imports/{job['id']}/errors.csv"

    async def test_a_file_that_cannot_be_imported_is_a_failed_job(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        payload = await start_import(http, tenant.token, b"First Name\nAnn\n")
        assert payload["errors"] == []
        job = payload["importJob"]
        assert (job["status"], job["errorCode"]) == ("FAILED", "NO_IDENTIFIER_COLUMN")

    async def test_a_wrong_request_is_a_payload_error_and_records_nothing(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        payload = await start_import(
            http, tenant.token, FILE, mapping=[{"column": "Nope", "field": "email"}]
        )
        assert payload["importJob"] is None
        assert payload["errors"] == [
            {
                "field": "mapping.0.column",
                "code": "UNKNOWN_COLUMN",
                "message": "A mapped column is not in the file's header.",
            }
        ]
        payload = await start_import(
            http, tenant.token, FILE, smsDoubleOptIn={"send": "AT"}, matchKey=[]
        )
        assert [e["code"] for e in payload["errors"]] == ["INVALID_OPTION"]
        assert await ImportJob.filter(organization_id=tenant.organization_id).count() == 0

    async def test_an_upload_over_the_limit_is_refused_before_parsing(
        self, tenant: Tenant, settings: Settings, arq_redis: ArqRedis
    ) -> None:
        small = settings.with_overrides(max_upload_bytes=1024)
        async with client_for(small, arq_redis) as client:
            big = b"Email\n" + b"".join(b"user%d@example.com\n" % i for i in range(80_000))
            response = await upload(client.http, tenant.token, big, {"kind": "CUSTOMERS"})
            assert response.status_code == 413
            assert response.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
            # Just over the file limit but inside the envelope: refused by the service.
            medium = b"Email\n" + b"x" * 2000 + b"@example.com\n"
            response = await upload(client.http, tenant.token, medium, {"kind": "CUSTOMERS"})
            payload = response.json()["data"]["importStart"]
            assert [e["code"] for e in payload["errors"]] == ["FILE_TOO_LARGE"]
        assert await ImportJob.filter(organization_id=tenant.organization_id).count() == 0
        assert not any(small.imports_root.rglob("*.csv*"))

    async def test_roles_without_import_run_are_forbidden(
        self, http: httpx.AsyncClient, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        analyst = await add_staff(tenant, Role.ANALYST)
        response = await upload(http, analyst.token, FILE, {"kind": "CUSTOMERS"})
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_WRITE)
        codes = await gql.error_codes(IMPORT_JOBS, {}, key.secret)
        assert codes == ["FORBIDDEN"]
        marketing = await add_staff(tenant, Role.MARKETING)
        payload = await start_import(http, marketing.token, FILE)
        assert payload["importJob"]["status"] == "QUEUED"


class TestHistoryAndCancel:
    async def test_history_is_newest_first_and_filters(
        self, http: httpx.AsyncClient, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        ids = []
        for name in ("one.csv", "two.csv", "three.csv"):
            response = await upload(http, tenant.token, FILE, {"kind": "CUSTOMERS"}, name)
            ids.append(response.json()["data"]["importStart"]["importJob"]["id"])
        failed = await start_import(http, tenant.token, b"")
        data = await gql.data(IMPORT_JOBS, {"first": 2}, tenant.token)
        page = data["importJobs"]
        assert [n["id"] for n in page["nodes"]] == [failed["importJob"]["id"], ids[2]]
        assert page["pageInfo"]["hasNextPage"] is True
        rest = await gql.data(
            IMPORT_JOBS, {"first": 10, "after": page["pageInfo"]["endCursor"]}, tenant.token
        )
        assert [n["fileName"] for n in rest["importJobs"]["nodes"]] == ["two.csv", "one.csv"]
        only_failed = await gql.data(IMPORT_JOBS, {"status": "FAILED"}, tenant.token)
        assert [n["id"] for n in only_failed["importJobs"]["nodes"]] == [failed["importJob"]["id"]]
        orders = await gql.data(IMPORT_JOBS, {"kind": "ORDERS"}, tenant.token)
        assert orders["importJobs"]["nodes"] == []

    async def test_cancel(
        self,
        http: httpx.AsyncClient,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
    ) -> None:
        job = (await start_import(http, tenant.token, FILE))["importJob"]
        data = await gql.data(IMPORT_CANCEL, {"id": job["id"]}, tenant.token)
        assert data["importCancel"] == {
            "importJob": {"id": job["id"], "status": "CANCELLED", "cancelRequested": True},
            "errors": [],
        }
        # The queued arq job finds it cancelled and writes nothing.
        assert await run_worker(settings, redis_url) == 1
        fresh = await ImportJob.get(id=job["id"])
        assert (fresh.status, fresh.processed_rows) == (ImportStatus.CANCELLED, 0)
        again = await gql.data(IMPORT_CANCEL, {"id": job["id"]}, tenant.token)
        assert again["importCancel"]["errors"] == [{"field": "id", "code": "NOT_CANCELLABLE"}]

    async def test_cancelling_a_running_job_stops_after_its_batch(
        self, http: httpx.AsyncClient, gql: GraphQLClient, tenant: Tenant, settings: Settings
    ) -> None:
        import asyncio

        from app.imports.runner import run_import

        rows = b"".join(b"u%d@example.com\n" % i for i in range(300))
        job = (
            await start_import(http, tenant.token, b"Email\n" + rows, batchSize=10, throttleMs=30)
        )["importJob"]
        task = asyncio.create_task(run_import(uuid.UUID(job["id"]), settings))
        for _ in range(300):
            await asyncio.sleep(0.02)
            if (await ImportJob.get(id=job["id"])).processed_rows >= 20:
                break
        data = await gql.data(IMPORT_CANCEL, {"id": job["id"]}, tenant.token)
        assert data["importCancel"]["importJob"]["cancelRequested"] is True
        assert await task == "CANCELLED"
        fresh = await ImportJob.get(id=job["id"])
        assert fresh.status is ImportStatus.CANCELLED
        assert 20 <= fresh.processed_rows < 300
        assert fresh.created_count == fresh.processed_rows  # committed rows stay, counted


class TestErrorReport:
    async def test_csv_download_is_authenticated_and_neutralizes_formulas(
        self, http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, settings: Settings
    ) -> None:
        from app.imports.runner import run_import

        content = b'=HYPERLINK("http://evil"),@Phone,+Name,-Ref\nnot-an-email,12,x,y\n'
        job = (
            await start_import(
                http,
                tenant.token,
                content,
                mapping=[
                    {"column": '=HYPERLINK("http://evil")', "field": "email"},
                    {"column": "@Phone", "field": "phone"},
                    {"column": "+Name", "field": "firstName"},
                    {"column": "-Ref", "field": "externalReference"},
                ],
            )
        )["importJob"]
        await run_import(uuid.UUID(job["id"]), settings)
        url = job["errorReportUrl"]
        assert (await http.get(url)).status_code == 401
        forbidden = await http.get(url, headers={"authorization": f"Bearer {other_tenant.token}"})
        assert forbidden.status_code == 404
        response = await http.get(url, headers={"authorization": f"Bearer {tenant.token}"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows == [
            ["row", "column", "code", "message"],
            ["2", '\'=HYPERLINK("http://evil")', "INVALID_EMAIL", "Email address is not valid."],
            ["2", "'@Phone", "INVALID_PHONE", "Phone number is not valid."],
        ]
        assert "not-an-email" not in response.text
        malformed = await http.get(
            "/imports/not-an-id/errors.csv", headers={"authorization": f"Bearer {tenant.token}"}
        )
        assert malformed.status_code == 404


class TestTenancy:
    async def test_another_organization_cannot_see_or_cancel_a_job(
        self, http: httpx.AsyncClient, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        job = (await start_import(http, tenant.token, FILE))["importJob"]
        intruder = other_tenant.token
        seen = await gql.data(IMPORT_JOB, {"id": job["id"]}, intruder)
        assert seen["importJob"] is None
        listed = await gql.data(IMPORT_JOBS, {}, intruder)
        assert listed["importJobs"]["nodes"] == []
        cancelled = await gql.data(IMPORT_CANCEL, {"id": job["id"]}, intruder)
        assert cancelled["importCancel"] == {
            "importJob": None,
            "errors": [{"field": "id", "code": "NOT_FOUND"}],
        }
        fresh = await ImportJob.get(id=job["id"])
        assert (fresh.status, fresh.cancel_requested) == (ImportStatus.QUEUED, False)
