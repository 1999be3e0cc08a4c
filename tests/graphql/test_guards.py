"""Request guards of the GraphQL endpoint: size limits, no GET queries, masked errors,
and introspection and GraphiQL only in development."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from arq.connections import ArqRedis

from app.config import Environment, Settings
from app.models.customer import Customer
from app.models.organization import Organization, Store
from tests.conftest import GraphQLClient, Tenant
from tests.factories import client_for

STORE_CREATE = 'mutation { storeCreate(name: "Main", code: "main") { store { id } } }'
INTROSPECTION = "{ __schema { types { name } } }"


async def store_count(organization_id: uuid.UUID) -> int:
    return await Store.filter(organization_id=organization_id).count()


class TestQueryDepth:
    async def test_deeper_than_the_limit_is_refused_before_anything_runs(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        # A low limit makes a short document too deep.
        limited = settings.with_overrides(max_query_depth=3)
        deep = (
            'mutation { customerCreate(input: {firstName: "Deep"}) {'
            " customer { favoriteStore { store { id } } } } }"
        )
        async with client_for(limited, arq_redis) as gql:
            body = await gql.raw(deep, token=tenant.token)
            assert body["data"] is None
            assert "exceeds maximum operation depth of 3" in body["errors"][0]["message"]
            # At the limit it runs.
            at_limit = await gql.data("{ customers { edges { node { id } } } }", token=tenant.token)
            assert at_limit["customers"]["edges"] == []
        assert await Customer.filter(organization_id=tenant.organization_id).count() == 0


class TestAliases:
    async def test_more_aliases_than_the_limit_are_refused(
        self, gql: GraphQLClient, settings: Settings, tenant: Tenant
    ) -> None:
        count = settings.max_aliases + 1
        document = (
            "mutation { "
            + " ".join(
                f's{i}: storeCreate(name: "S{i}", code: "s{i}") {{ store {{ id }} }}'
                for i in range(count)
            )
            + " }"
        )
        body = await gql.raw(document, token=tenant.token)
        assert body["data"] is None
        assert body["errors"][0]["message"] == (
            f"{count} aliases found. Allowed: {settings.max_aliases}"
        )
        assert await store_count(tenant.organization_id) == 0

    async def test_up_to_the_limit_is_fine(
        self, gql: GraphQLClient, settings: Settings, tenant: Tenant
    ) -> None:
        count = settings.max_aliases
        document = "{ " + " ".join(f"v{i}: viewer {{ kind }}" for i in range(count)) + " }"
        data = await gql.data(document, token=tenant.token)
        assert len(data) == count


class TestTokens:
    async def test_more_tokens_than_the_limit_are_refused(
        self, gql: GraphQLClient, settings: Settings, tenant: Tenant
    ) -> None:
        padding = " ".join(["__typename"] * settings.max_tokens)
        document = f'mutation {{ storeCreate(name: "M", code: "m") {{ {padding} }} }}'
        body = await gql.raw(document, token=tenant.token)
        assert body["data"] is None
        assert f"more than {settings.max_tokens} tokens" in body["errors"][0]["message"]
        assert await store_count(tenant.organization_id) == 0


class TestGetRequests:
    async def test_a_query_sent_with_get_is_not_executed(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        headers = {"authorization": f"Bearer {tenant.token}"}
        for document in ("{ viewer { kind } }", STORE_CREATE):
            response = await http.get("/graphql", params={"query": document}, headers=headers)
            assert response.status_code == 400
            assert "data" not in response.text
        assert await store_count(tenant.organization_id) == 0

    async def test_post_works(self, gql: GraphQLClient, tenant: Tenant) -> None:
        data = await gql.data(STORE_CREATE, token=tenant.token)
        assert data["storeCreate"]["store"]["id"]
        assert await store_count(tenant.organization_id) == 1


class TestMalformedBodies:
    @pytest.mark.parametrize("body", ['"{ viewer { kind } }"', "42", "null", "true", "[1]", "{"])
    async def test_a_body_that_is_not_a_json_object_is_a_400(
        self, http: httpx.AsyncClient, tenant: Tenant, body: str
    ) -> None:
        response = await http.post(
            "/graphql",
            content=body,
            headers={"authorization": f"Bearer {tenant.token}", "content-type": "application/json"},
        )
        assert response.status_code == 400
        assert "data" not in response.text


class TestUnexpectedErrors:
    async def test_are_masked_and_logged_without_details(
        self, gql: GraphQLClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
    ) -> None:
        # A credential checked a moment ago is trusted for a few seconds; if its organization
        # disappears meanwhile, loading the organization fails in a way no rule expects.
        await gql.data("{ viewer { kind } }", token=tenant.token)
        await Organization.filter(id=tenant.organization_id).delete()
        with caplog.at_level(logging.ERROR, logger="app.graphql"):
            body = await gql.raw("{ organization { id name } }", token=tenant.token)
        assert body["data"] is None
        assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
        assert "extensions" not in body["errors"][0]
        assert body["errors"][0]["path"] == ["organization"]
        logged = [r for r in caplog.records if r.name == "app.graphql"]
        assert len(logged) == 1
        assert "path=organization" in logged[0].getMessage()
        assert "DoesNotExist" in logged[0].getMessage()

    async def test_expected_refusals_are_not_masked(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        body = await gql.raw('{ customer(id: "nope") { id } }', token=tenant.token)
        assert body["errors"][0]["message"] == "id is not a valid identifier"
        assert body["errors"][0]["extensions"] == {"code": "INVALID_ARGUMENT"}


class TestEnvironments:
    async def test_production_refuses_introspection_and_serves_no_graphiql(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        production = settings.with_overrides(env=Environment.PRODUCTION)
        async with client_for(production, arq_redis) as gql:
            body = await gql.raw(INTROSPECTION, token=tenant.token)
            assert body["data"] is None
            assert "introspection has been disabled" in body["errors"][0]["message"]
            type_probe = await gql.raw('{ __type(name: "Customer") { name } }', token=tenant.token)
            assert type_probe["data"] is None
            page = await gql.http.get("/graphql", headers={"accept": "text/html"})
            assert page.status_code == 404
            assert "graphiql" not in page.text.lower()
            # Ordinary queries still work.
            data = await gql.data("{ viewer { kind } }", token=tenant.token)
            assert data["viewer"]["kind"] == "STAFF"

    async def test_development_allows_introspection_and_graphiql(self, gql: GraphQLClient) -> None:
        data = await gql.data(INTROSPECTION)
        names = {t["name"] for t in data["__schema"]["types"]}
        assert {"Query", "Mutation", "Customer"} <= names
        page = await gql.http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "graphiql" in page.text.lower()
