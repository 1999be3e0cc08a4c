"""Keyset pagination of connections: limits, cursors, and walking through every page."""

from __future__ import annotations

import base64
from typing import Any

from app.auth.permissions import ApiKeyScope
from app.core.pagination import MAX_PAGE_SIZE
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, create_customer

PAGE = """
query($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges { cursor node { id } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def page(
    gql: GraphQLClient, token: str, first: int | None, after: str | None = None
) -> dict[str, Any]:
    data = await gql.data(PAGE, {"first": first, "after": after}, token)
    connection: dict[str, Any] = data["customers"]
    return connection


class TestPageSize:
    async def test_out_of_range_is_pagination_limit(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for first in (MAX_PAGE_SIZE + 1, 1000, -1):
            body = await gql.raw(PAGE, {"first": first}, tenant.token)
            assert body["data"] is None, first
            assert [e["extensions"]["code"] for e in body["errors"]] == ["PAGINATION_LIMIT"]

    async def test_every_connection_has_the_limit(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for document in (
            "{ archivedCustomers(first: 101) { nodes { id } } }",
            "{ auditEvents(first: 101) { nodes { id } } }",
            "{ archivedCustomers(first: -5) { nodes { id } } }",
            "{ auditEvents(first: -1) { nodes { id } } }",
        ):
            codes = await gql.error_codes(document, token=tenant.token)
            assert codes == ["PAGINATION_LIMIT"], document

    async def test_the_largest_page_and_an_empty_page_are_allowed(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await create_customer(gql, tenant.token, firstName="Only")
        largest = await page(gql, tenant.token, MAX_PAGE_SIZE)
        assert len(largest["nodes"]) == 1
        assert largest["pageInfo"]["hasNextPage"] is False
        empty = await page(gql, tenant.token, 0)
        assert empty["nodes"] == []
        assert empty["pageInfo"]["hasNextPage"] is True
        assert empty["pageInfo"]["startCursor"] is None

    async def test_default_page_size_is_twenty(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for i in range(21):
            await create_customer(gql, tenant.token, externalReference=f"ref-{i}")
        first_page = await page(gql, tenant.token, None)
        assert len(first_page["nodes"]) == 20
        assert first_page["pageInfo"]["hasNextPage"] is True


class TestCursors:
    async def test_walk_25_customers_in_pages_of_10(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        created = [
            (await create_customer(gql, tenant.token, externalReference=f"c-{i:02}"))["id"]
            for i in range(25)
        ]
        seen: list[str] = []
        pages: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            connection = await page(gql, tenant.token, 10, after)
            pages.append(connection)
            ids = [edge["node"]["id"] for edge in connection["edges"]]
            assert ids == [node["id"] for node in connection["nodes"]]
            seen.extend(ids)
            info = connection["pageInfo"]
            assert info["startCursor"] == connection["edges"][0]["cursor"]
            assert info["endCursor"] == connection["edges"][-1]["cursor"]
            if not info["hasNextPage"]:
                break
            after = info["endCursor"]
            assert len(pages) < 10, "pagination does not end"

        assert [len(p["nodes"]) for p in pages] == [10, 10, 5]
        assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
        assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
        # No duplicates, no gaps, in creation order.
        assert seen == created

    async def test_a_page_ending_exactly_at_the_end_has_no_next_page(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for i in range(4):
            await create_customer(gql, tenant.token, externalReference=f"c-{i}")
        first = await page(gql, tenant.token, 2)
        second = await page(gql, tenant.token, 2, first["pageInfo"]["endCursor"])
        assert second["pageInfo"]["hasNextPage"] is False
        last = await page(gql, tenant.token, 2, second["pageInfo"]["endCursor"])
        assert last["nodes"] == []
        assert last["pageInfo"]["endCursor"] is None

    async def test_a_garbage_cursor_is_invalid_argument(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for after in (
            "garbage",
            "!!!",
            base64.urlsafe_b64encode(b"c1:not-a-uuid").decode(),
            base64.urlsafe_b64encode(b"v9:01a20408-0000-7000-8000-000000000000").decode(),
            base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        ):
            body = await gql.raw(PAGE, {"first": 10, "after": after}, tenant.token)
            assert body["data"] is None, after
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ARGUMENT"]


class TestAuditEventPages:
    async def test_newest_first_without_gaps(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for i in range(4):
            await add_api_key(tenant, ApiKeyScope.WALLET_READ, name=f"key {i}")
        document = """
        query($after: String) {
          auditEvents(first: 2, after: $after) {
            nodes { action subjectId } pageInfo { hasNextPage endCursor }
          }
        }"""
        actions: list[str] = []
        after: str | None = None
        for _ in range(3):
            data = await gql.data(document, {"after": after}, tenant.token)
            actions.extend(node["action"] for node in data["auditEvents"]["nodes"])
            after = data["auditEvents"]["pageInfo"]["endCursor"]
        assert data["auditEvents"]["pageInfo"]["hasNextPage"] is False
        assert actions == ["API_KEY_CREATED"] * 4 + ["ORGANIZATION_CREATED"]
