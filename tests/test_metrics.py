"""/metrics: what each figure counts, its bounded labels, and who may read it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from arq.connections import ArqRedis
from arq.constants import default_queue_name
from arq.worker import Retry, func
from prometheus_client.parser import text_string_to_metric_families

from app.config import Environment, Settings
from app.main import create_app
from app.metrics import REGISTRY
from app.metrics.endpoint import MetricsExporter
from app.metrics.graphql import ANONYMOUS, OVERFLOW, OperationNames
from app.metrics.jobs import instrument_functions
from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer, owner_of
from tests.imports.helpers import import_file
from workers.settings import build_worker

WALLET_BY_PHONE = "query WalletByPhone($phone: String!) { wallet(phone: $phone) { balance } }"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@dataclass
class Served:
    http: httpx.AsyncClient
    gql: GraphQLClient

    async def scrape(self, token: str | None = None) -> dict[str, dict[tuple[Any, ...], float]]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.get("/metrics", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        samples: dict[str, dict[tuple[Any, ...], float]] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                key = tuple(sorted(sample.labels.items()))
                samples.setdefault(sample.name, {})[key] = sample.value
        return samples


@pytest_asyncio.fixture
async def served(settings: Settings, arq_redis: ArqRedis) -> AsyncIterator[Served]:
    """The app with its lifespan running (the exporter registers the queue depth)."""
    app = create_app(settings, manage_resources=False, redis=arq_redis)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Served(client, GraphQLClient(client))


class TestGraphQLRequests:
    async def test_a_named_operation_is_counted_with_its_latency(
        self, served: Served, tenant: Tenant
    ) -> None:
        before = value("loyalty_graphql_request_duration_seconds_count", operation="Whoami")
        ok = value("loyalty_graphql_requests_total", operation="Whoami", outcome="ok")
        await served.gql.data("query Whoami { viewer { __typename } }", token=tenant.token)
        await served.gql.data("query Whoami { viewer { __typename } }", token=tenant.token)
        after = value("loyalty_graphql_request_duration_seconds_count", operation="Whoami")
        assert after - before == 2
        assert value("loyalty_graphql_requests_total", operation="Whoami", outcome="ok") - ok == 2
        scraped = await served.scrape()
        assert any(
            dict(labels).get("operation") == "Whoami"
            for labels in scraped["loyalty_graphql_request_duration_seconds_bucket"]
        )

    async def test_unnamed_operations_share_one_label_and_query_text_is_never_a_label(
        self, served: Served, tenant: Tenant
    ) -> None:
        before = value("loyalty_graphql_request_duration_seconds_count", operation=ANONYMOUS)
        secret = "canary-4711@example.com"
        query = '{ customer(email: "' + secret + '") { id } }'
        await served.gql.raw(query, token=tenant.token)
        assert (
            value("loyalty_graphql_request_duration_seconds_count", operation=ANONYMOUS) - before
            == 1
        )
        response = await served.http.get("/metrics")
        assert secret not in response.text
        assert "canary" not in response.text

    async def test_a_client_operation_name_counts_only_when_the_document_defines_it(
        self, served: Served, tenant: Tenant
    ) -> None:
        # operationName is any string until it names an operation of the document.
        response = await served.http.post(
            "/graphql",
            json={"query": "query A { viewer { __typename } }", "operationName": "jane@doe"},
            headers={"authorization": f"Bearer {tenant.token}"},
        )
        assert response.status_code in {200, 400}
        assert "jane@doe" not in (await served.http.get("/metrics")).text

    async def test_errors_are_counted_by_code(self, served: Served) -> None:
        unauthenticated = value("loyalty_graphql_errors_total", code="UNAUTHENTICATED")
        invalid = value("loyalty_graphql_errors_total", code="GRAPHQL_INVALID")
        codes = await served.gql.error_codes("query Mine { viewer { __typename } }")
        assert codes == ["UNAUTHENTICATED"]
        await served.gql.raw("query Broken { nope }")
        assert value("loyalty_graphql_errors_total", code="UNAUTHENTICATED") - unauthenticated == 1
        assert value("loyalty_graphql_errors_total", code="GRAPHQL_INVALID") - invalid == 1
        assert value("loyalty_graphql_requests_total", operation="Mine", outcome="error") >= 1

    async def test_the_compiled_pos_path_is_measured_by_operation_name(
        self, served: Served, tenant: Tenant
    ) -> None:
        await create_customer(served.gql, tenant.token, phone="+14155550123")
        before = value("loyalty_graphql_request_duration_seconds_count", operation="WalletByPhone")
        body = await served.gql.data(WALLET_BY_PHONE, {"phone": "+14155550123"}, token=tenant.token)
        assert body["wallet"] is not None
        assert (
            value("loyalty_graphql_request_duration_seconds_count", operation="WalletByPhone")
            - before
            == 1
        )


class TestOperationNames:
    def test_names_past_the_cap_share_one_label(self) -> None:
        names = OperationNames(limit=2)
        assert [names.label(n) for n in ("A", "B", "C", "A", None)] == [
            "A",
            "B",
            OVERFLOW,
            "A",
            ANONYMOUS,
        ]

    def test_only_graphql_names_become_labels(self) -> None:
        names = OperationNames()
        assert names.label("x" * 65) == OVERFLOW
        assert names.label("a b") == OVERFLOW


class TestHttp:
    async def test_requests_are_counted_by_route_template_not_path(self, served: Served) -> None:
        job = uuid.uuid4()
        before = value(
            "loyalty_http_requests_total",
            route="/imports/{job_id}/errors.csv",
            method="GET",
            status="401",
        )
        response = await served.http.get(f"/imports/{job}/errors.csv")
        assert response.status_code == 401
        after = value(
            "loyalty_http_requests_total",
            route="/imports/{job_id}/errors.csv",
            method="GET",
            status="401",
        )
        assert after - before == 1
        assert str(job) not in (await served.http.get("/metrics")).text

    async def test_the_request_id_is_echoed_or_made(self, served: Served) -> None:
        given = await served.http.get("/health", headers={"x-request-id": "lb-123.abc"})
        assert given.headers["x-request-id"] == "lb-123.abc"
        odd = await served.http.get("/health", headers={"x-request-id": "<script>"})
        assert odd.headers["x-request-id"] != "<script>"
        assert len(odd.headers["x-request-id"]) == 32


class TestQueueAndPool:
    async def test_queue_depth_is_read_from_redis(
        self, served: Served, arq_redis: ArqRedis
    ) -> None:
        await arq_redis.enqueue_job("purge_expired_sessions", _defer_by=3600)
        await arq_redis.enqueue_job("expire_points", _defer_by=3600)
        scraped = await served.scrape()
        depth = scraped["loyalty_queue_depth"][(("queue", default_queue_name),)]
        assert depth == await arq_redis.zcard(default_queue_name) == 2

    async def test_database_pool_use_on_postgres_only(
        self, served: Served, backend: str, tenant: Tenant
    ) -> None:
        # The pool opens with the first query: a request that reads the database.
        await served.gql.data("{ organization { id } }", token=tenant.token)
        scraped = await served.scrape()
        if backend == "postgres":
            pool = scraped["loyalty_db_pool_connections"]
            assert pool[(("state", "max"),)] >= pool[(("state", "open"),)] >= 1
        else:
            assert "loyalty_db_pool_connections" not in scraped


class TestJobs:
    async def test_a_worker_counts_its_jobs_by_kind(
        self, settings: Settings, redis_url: str, arq_redis: ArqRedis
    ) -> None:
        before = value("loyalty_jobs_total", job="purge_expired_sessions", outcome="success")
        durations = value("loyalty_job_duration_seconds_count", job="purge_expired_sessions")
        await arq_redis.enqueue_job("purge_expired_sessions")
        worker = build_worker(settings, redis_url, manage_db=False, burst=True)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        after = value("loyalty_jobs_total", job="purge_expired_sessions", outcome="success")
        assert after - before == 1
        assert (
            value("loyalty_job_duration_seconds_count", job="purge_expired_sessions") - durations
            == 1
        )
        assert value("loyalty_jobs_running", job="purge_expired_sessions") == 0

    async def test_failures_and_retries_are_told_apart(self) -> None:
        async def flaky(ctx: dict[str, Any], how: str) -> str:
            if how == "retry":
                raise Retry(defer=1)
            if how == "fail":
                raise ValueError("boom")
            return "done"

        (job,) = instrument_functions([func(flaky, name="metrics_test_flaky")])
        assert await job.coroutine({}, "ok") == "done"
        with pytest.raises(Retry):
            await job.coroutine({}, "retry")
        with pytest.raises(ValueError, match="boom"):
            await job.coroutine({}, "fail")
        for outcome in ("success", "retry", "failure"):
            assert value("loyalty_jobs_total", job="metrics_test_flaky", outcome=outcome) == 1


class TestAccess:
    async def test_production_hides_metrics_without_a_token(
        self, settings: Settings, arq_redis: ArqRedis
    ) -> None:
        production = settings.with_overrides(env=Environment.PRODUCTION)
        app = create_app(production, manage_resources=False, redis=arq_redis)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/metrics")).status_code == 404

    async def test_production_serves_metrics_to_the_token_only(
        self, settings: Settings, arq_redis: ArqRedis
    ) -> None:
        token = "metrics-" + "y" * 32
        production = settings.with_overrides(env=Environment.PRODUCTION, metrics_token=token)
        app = create_app(production, manage_resources=False, redis=arq_redis)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/metrics")).status_code == 401
            wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
            assert wrong.status_code == 401
            right = await client.get("/metrics", headers={"authorization": f"Bearer {token}"})
            assert right.status_code == 200
            assert "loyalty_http_requests_total" in right.text

    async def test_a_separate_metrics_port_serves_the_same_registry(
        self, settings: Settings
    ) -> None:
        # Port 0: the system picks a free one (other test runs share this machine).
        exporter = MetricsExporter(settings.with_overrides(metrics_port=0), None)
        exporter.start()
        try:
            assert exporter.port
            async with httpx.AsyncClient() as client:
                response = await client.get(f"http://127.0.0.1:{exporter.port}/metrics")
            assert response.status_code == 200
            assert "loyalty_jobs_total" in response.text or "loyalty_http_requests" in response.text
        finally:
            exporter.stop()


class TestImports:
    async def test_rows_are_counted_by_outcome(self, settings: Settings, tenant: Tenant) -> None:
        outcomes = ("created", "updated", "unchanged", "invalid")
        before = {o: value("loyalty_import_rows_total", outcome=o) for o in outcomes}
        content = "email,first_name\nana@example.com,Ana\nbo@example.com,Bo\nnot-an-email,Cy\n"
        job = await import_file(owner_of(tenant), settings, content)
        assert job.created_count == 2
        delta = {o: value("loyalty_import_rows_total", outcome=o) - before[o] for o in outcomes}
        assert delta == {"created": 2, "updated": 0, "unchanged": 0, "invalid": 1}
