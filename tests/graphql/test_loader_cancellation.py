"""A field cancelled by graphql-core never cancels the data loader future another field shares."""

from __future__ import annotations

from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer

# `persona` under `edges.node` and under `nodes` waits on one cached loader future; the
# argument error of `orders` nulls `nodes`, and graphql-core cancels its pending siblings.
SHARED_PERSONA = """
{ customers(first: 1) {
    edges { node { persona { id } } }
    nodes { persona { id } orders(first: -1) { nodes { id } } }
} }"""


class TestSharedLoaderFuture:
    async def test_a_cancelled_sibling_leaves_the_other_field_its_result(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await create_customer(gql, tenant.token, firstName="Ada")
        body = await gql.raw(SHARED_PERSONA, token=tenant.token)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["PAGINATION_LIMIT"]
        assert body["errors"][0]["path"] == ["customers", "nodes", 0, "orders"]
        # The error bubbles up to the non-null `customers` root: no data, but no crash.
        assert body["data"] is None

    async def test_the_same_document_without_the_error_answers(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await create_customer(gql, tenant.token, firstName="Ada")
        data = await gql.data(SHARED_PERSONA.replace("first: -1", "first: 1"), token=tenant.token)
        assert data["customers"]["edges"] == [{"node": {"persona": None}}]
        assert data["customers"]["nodes"] == [{"persona": None, "orders": {"nodes": []}}]
