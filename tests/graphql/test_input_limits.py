"""Every string argument is checked at the edge: NUL, lone surrogates and maximum lengths give
a typed error naming the argument, before any query runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.graphql.input_limits import DEFAULT_MAX_LENGTH, MAX_LENGTHS
from app.models.customer import Customer
from app.models.organization import Store
from tests.conftest import GraphQLClient, Tenant
from tests.factories import CUSTOMER_CREATE


async def raw(
    gql: GraphQLClient, document: str, variables: dict[str, Any] | None, token: str
) -> dict[str, Any]:
    """Sent as escaped JSON: httpx cannot encode a lone surrogate, a client's JSON can."""
    response = await gql.http.post(
        "/graphql",
        content=json.dumps({"query": document, "variables": variables or {}}).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refusals(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]]


class TestBadCharacters:
    @pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
    async def test_in_a_variable_of_an_input_object(
        self, gql: GraphQLClient, tenant: Tenant, bad: str
    ) -> None:
        body = await raw(gql, CUSTOMER_CREATE, {"input": {"firstName": bad}}, tenant.token)
        assert body["data"] is None
        assert refusals(body) == [("INVALID_ARGUMENT", "input.firstName")]
        assert "Unexpected error." not in str(body)
        assert await Customer.filter(organization_id=tenant.organization_id).count() == 0

    async def test_in_a_literal_of_the_document(self, gql: GraphQLClient, tenant: Tenant) -> None:
        document = 'mutation { storeCreate(name: "M\\u0000", code: "m") { store { id } } }'
        body = await raw(gql, document, None, tenant.token)
        assert refusals(body) == [("INVALID_ARGUMENT", "name")]
        assert await Store.filter(organization_id=tenant.organization_id).count() == 0

    @pytest.mark.parametrize(
        ("document", "variables", "field"),
        [
            (
                "query($q: String) { customers(search: $q) { nodes { id } } }",
                {"q": "\x00"},
                "search",
            ),
            (
                "query($r: String) { customer(externalReference: $r) { id } }",
                {"r": "\ud800"},
                "externalReference",
            ),
            (
                "mutation($n: String!) { apiKeyCreate(name: $n, scopes: []) { key } }",
                {"n": "pos\x00"},
                "name",
            ),
            (
                "query($w: CustomerWhereInput) { customers(where: $w) { nodes { id } } }",
                {"w": {"city": "\x00"}},
                "where.city",
            ),
            (
                "query($p: String!) { wallet(phone: $p) { balance } }",
                {"p": "\ud800"},
                "phone",
            ),
        ],
    )
    async def test_everywhere_strings_arrive(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        document: str,
        variables: dict[str, Any],
        field: str,
    ) -> None:
        body = await raw(gql, document, variables, tenant.token)
        assert body["data"] is None
        assert refusals(body) == [("INVALID_ARGUMENT", field)]

    async def test_in_traits_keys_and_nested_values(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for traits in ({"a": {"b": ["x\x00"]}}, {"k\ud800": 1}):
            body = await raw(gql, CUSTOMER_CREATE, {"input": {"traits": traits}}, tenant.token)
            assert refusals(body) == [("INVALID_ARGUMENT", "input.traits")]


class TestLengths:
    async def test_a_three_letter_country_filter_is_value_too_long(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        body = await raw(
            gql, '{ customers(where: {country: "USA"}) { nodes { id } } }', None, tenant.token
        )
        assert body["data"] is None
        assert refusals(body) == [("VALUE_TOO_LONG", "where.country")]
        assert body["errors"][0]["message"] == "`where.country` is longer than 2 characters."

    @pytest.mark.parametrize(
        ("document", "field"),
        [
            ("query($v: String) { customers(search: $v) { nodes { id } } }", "search"),
            ("query($v: String) { customer(externalReference: $v) { id } }", "externalReference"),
            (
                "mutation($v: String!) {"
                " customerFindOrCreate(externalReference: $v) { errors { code } } }",
                "externalReference",
            ),
        ],
    )
    async def test_ten_thousand_characters_are_value_too_long(
        self, gql: GraphQLClient, tenant: Tenant, document: str, field: str
    ) -> None:
        body = await raw(gql, document, {"v": "x" * 10_000}, tenant.token)
        assert refusals(body) == [("VALUE_TOO_LONG", field)]

    async def test_at_the_maximum_it_runs(self, gql: GraphQLClient, tenant: Tenant) -> None:
        search = "x" * MAX_LENGTHS["Query.customers.search"]
        data = await gql.data(
            "query($v: String) { customers(search: $v) { nodes { id } } }",
            {"v": search},
            tenant.token,
        )
        assert data["customers"]["nodes"] == []

    async def test_the_default_applies_to_every_other_string(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        document = 'mutation($n: String!) { storeCreate(name: $n, code: "m") { store { id } } }'
        body = await raw(gql, document, {"n": "n" * (DEFAULT_MAX_LENGTH + 1)}, tenant.token)
        assert refusals(body) == [("VALUE_TOO_LONG", "name")]
        data = await gql.data(document, {"n": "n" * DEFAULT_MAX_LENGTH}, tenant.token)
        assert data["storeCreate"]["store"]["id"]

    async def test_list_items_are_named_by_index(self, gql: GraphQLClient, tenant: Tenant) -> None:
        document = (
            """mutation($i: OrderRecordInput!) { orderRecord(input: $i) { errors { code } } }"""
        )
        order = {
            "customerId": "00000000-0000-0000-0000-000000000000",
            "receiptNumber": "r-1",
            "total": "10",
            "items": [{"sku": "a", "price": "1", "tags": ["ok", "t" * 101]}],
        }
        body = await raw(gql, document, {"i": order}, tenant.token)
        assert refusals(body) == [("VALUE_TOO_LONG", "input.items[0].tags[1]")]

    async def test_traits_deeper_than_the_limit_are_refused(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        traits: dict[str, Any] = {}
        for _ in range(20):
            traits = {"k": traits}
        body = await raw(gql, CUSTOMER_CREATE, {"input": {"traits": traits}}, tenant.token)
        assert refusals(body) == [("VALUE_TOO_LONG", "input.traits")]

    async def test_the_maximum_is_in_the_schema_description(self, gql: GraphQLClient) -> None:
        data = await gql.data(
            '{ __type(name: "CustomerWhereInput") { inputFields { name description } } }'
        )
        fields = {f["name"]: f["description"] for f in data["__type"]["inputFields"]}
        assert fields["country"].endswith("At most 2 characters.")
