"""`totalCount` on connections: exact, under the same filters as the pages, on every page."""

from __future__ import annotations

from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer

COUNTED = """
query($first: Int, $after: String, $search: String, $where: CustomerWhereInput) {
  customers(first: $first, after: $after, search: $search, where: $where) {
    totalCount
    nodes { id }
    pageInfo { endCursor }
  }
}"""


class TestTotalCount:
    async def test_counts_every_page_under_the_same_filters(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for i in range(5):
            await create_customer(gql, tenant.token, firstName=f"Ann{i}", lastName="Lee")
        for i in range(2):
            await create_customer(gql, tenant.token, firstName=f"Bob{i}", lastName="Kay")
        first = (await gql.data(COUNTED, {"first": 2}, tenant.token))["customers"]
        assert first["totalCount"] == 7
        after = first["pageInfo"]["endCursor"]
        second = (await gql.data(COUNTED, {"first": 2, "after": after}, tenant.token))["customers"]
        assert second["totalCount"] == 7
        searched = (await gql.data(COUNTED, {"first": 1, "search": "ann"}, tenant.token))[
            "customers"
        ]
        assert searched["totalCount"] == 5
        assert len(searched["nodes"]) == 1

    async def test_archived_customers_are_counted_apart(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        ids = [
            (await create_customer(gql, tenant.token, firstName=f"C{i}"))["id"] for i in range(3)
        ]
        await gql.data(
            'mutation($id: ID!) { customerArchive(id: $id, reason: "gone") { errors { code } } }',
            {"id": ids[0]},
            tenant.token,
        )
        data = await gql.data(
            "{ customers { totalCount } archivedCustomers(first: 0) { totalCount nodes { id } } }",
            token=tenant.token,
        )
        assert data["customers"]["totalCount"] == 2
        assert data["archivedCustomers"] == {"totalCount": 1, "nodes": []}

    async def test_a_customers_orders_and_the_audit_log(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ord")
        for n in range(3):
            await gql.data(
                "mutation($i: OrderRecordInput!) { orderRecord(input: $i) { errors { code } } }",
                {
                    "i": {
                        "customerId": customer["id"],
                        "receiptNumber": f"r-{n}",
                        "total": "10",
                        "placedAt": f"2026-01-0{n + 1}T12:00:00+00:00",
                    }
                },
                tenant.token,
            )
        data = await gql.data(
            "query($id: ID!) { customer(id: $id) { orders(first: 1) { totalCount } } }",
            {"id": customer["id"]},
            tenant.token,
        )
        assert data["customer"]["orders"]["totalCount"] == 3
        audit = await gql.data(
            "{ auditEvents(first: 1) { totalCount nodes { id } } }", token=tenant.token
        )
        assert audit["auditEvents"]["totalCount"] >= 1
        assert len(audit["auditEvents"]["nodes"]) == 1
