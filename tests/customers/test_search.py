"""Finding customers: the `customers(search:)` list and the `customer(...)` direct lookup."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer

SEARCH = "query($s: String) { customers(search: $s) { nodes { id } } }"
LOOKUP = """
query($id: ID, $email: String, $phone: String, $ref: String) {
  customer(id: $id, email: $email, phone: $phone, externalReference: $ref) { id }
}"""


async def found(gql: GraphQLClient, token: str, term: str) -> list[str]:
    data = await gql.data(SEARCH, {"s": term}, token)
    return [node["id"] for node in data["customers"]["nodes"]]


@pytest.fixture
async def people(gql: GraphQLClient, tenant: Tenant) -> dict[str, str]:
    """Customer ids by a short name."""
    rows: dict[str, dict[str, Any]] = {
        "elodie": {
            "firstName": "Élodie",
            "lastName": "Dubois",
            "email": "Elodie.Dubois@Example.com",
            "phone": "(202) 555-0143",
            "externalReference": "crm-0001",
        },
        "eloise": {"firstName": "Eloïse", "lastName": "Martin", "phone": "+1 202 555 0177"},
        "ann": {"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"},
        "anna": {"firstName": "Anna", "lastName": "Leclerc", "externalReference": "555-0100"},
        "bob": {"firstName": "Bob", "lastName": "Ray", "externalReference": "bob@pos"},
    }
    return {
        name: (await create_customer(gql, tenant.token, **fields))["id"]
        for name, fields in rows.items()
    }


# Each test runs its cases against one set of customers: building a tenant costs more
# than the searches themselves.
class TestCustomersSearch:
    async def test_by_email_in_any_case(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        for term in (
            "elodie.dubois@example.com",
            "ELODIE.DUBOIS@EXAMPLE.COM",
            "  Elodie.Dubois@example.com ",
        ):
            assert await found(gql, tenant.token, term) == [people["elodie"]], term

    async def test_by_phone_in_any_format(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        for term in (
            "(202) 555-0143",
            "+1 202-555-0143",
            "2025550143",
            "+12025550143",
            "202.555.0143",
        ):
            assert await found(gql, tenant.token, term) == [people["elodie"]], term

    async def test_by_first_or_last_name_prefix_ignoring_case_and_accents(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        cases = {
            "elo": ["elodie", "eloise"],
            "ÉLO": ["elodie", "eloise"],
            "Elod": ["elodie"],
            "eloï": ["eloise"],
            "ann": ["ann", "anna"],
            "anna": ["anna"],
            "dub": ["elodie"],
            "DUBOIS": ["elodie"],
            "le": ["ann", "anna"],
            "lec": ["anna"],
        }
        for term, expected in cases.items():
            result = sorted(await found(gql, tenant.token, term))
            assert result == sorted(people[n] for n in expected), term

    async def test_by_first_and_last_name_prefixes(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        cases = {
            "elodie dubois": ["elodie"],
            "Élo Dub": ["elodie"],
            "  ann   le ": ["ann", "anna"],
            "ann lee": ["ann"],
            "anna lee": [],
            "dubois elodie": [],
        }
        for term, expected in cases.items():
            result = sorted(await found(gql, tenant.token, term))
            assert result == sorted(people[n] for n in expected), term

    async def test_by_id(self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]) -> None:
        assert await found(gql, tenant.token, people["bob"]) == [people["bob"]]
        assert await found(gql, tenant.token, f" {people['bob'].upper()} ") == [people["bob"]]

    async def test_by_external_reference_whatever_it_looks_like(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        # An email-like, a phone-like and a plain reference all reach the exact match.
        for term, name in (("crm-0001", "elodie"), ("bob@pos", "bob"), ("555-0100", "anna")):
            assert await found(gql, tenant.token, term) == [people[name]], term

    async def test_wildcards_and_strangers_find_nothing(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        for term in ("%", "_", "e%", "__", "nobody", "nobody@example.com", "2025550000"):
            assert await found(gql, tenant.token, term) == [], term

    async def test_an_empty_term_lists_everyone(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        for term in ("", "   "):
            result = sorted(await found(gql, tenant.token, term))
            assert result == sorted(people.values()), term


class TestCustomerLookup:
    async def test_by_each_key(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        elodie = people["elodie"]
        for variables in (
            {"id": elodie},
            {"email": "ELODIE.dubois@example.com"},
            {"phone": "202-555-0143"},
            {"ref": " crm-0001 "},
        ):
            data = await gql.data(LOOKUP, variables, tenant.token)
            assert data["customer"] == {"id": elodie}, variables

    async def test_unknown_keys_find_nothing(
        self, gql: GraphQLClient, tenant: Tenant, people: dict[str, str]
    ) -> None:
        for variables in (
            {"id": "01a20408-0000-7000-8000-000000000000"},
            {"email": "nobody@example.com"},
            {"phone": "2025550000"},
            {"ref": "crm-9999"},
        ):
            data = await gql.data(LOOKUP, variables, tenant.token)
            assert data["customer"] is None, variables

    async def test_malformed_or_ambiguous_keys_are_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await create_customer(gql, tenant.token, email="ann@example.com", externalReference="r1")
        for variables in (
            {"email": "bad"},
            {"phone": "12"},
            {"id": "not-an-id"},
            {},
            {"email": "ann@example.com", "ref": "r1"},
        ):
            body = await gql.raw(LOOKUP, variables, tenant.token)
            assert body["data"] == {"customer": None}, variables
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ARGUMENT"]
            # The message names the problem, never the value.
            assert all("bad" not in e["message"] for e in body["errors"])
