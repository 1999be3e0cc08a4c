"""Favorite store precedence (WALLET_APP > SIGNUP_FORM > IMPORT > PURCHASE_HISTORY) and the
references a customer can hold to organization data (stores, signup forms)."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer, create_store

# Strongest first, as the product brief states it (not imported from the code under test).
PRECEDENCE = ["WALLET_APP", "SIGNUP_FORM", "IMPORT", "PURCHASE_HISTORY"]
UNKNOWN_ID = "01a20408-0000-7000-8000-000000000000"

UPDATE = """
mutation($id: ID!, $input: CustomerFieldsInput!) {
  customerUpdate(id: $id, input: $input) {
    customer { id firstName favoriteStore { source store { id code } } }
    errors { field code message }
  }
}"""
READ = """
query($id: ID!) { customer(id: $id) { firstName favoriteStore { source store { id } } } }"""


def favorite(store_id: str, source: str) -> dict[str, str]:
    return {"storeId": store_id, "source": source}


async def update(gql: GraphQLClient, token: str, customer_id: str, **fields: Any) -> dict[str, Any]:
    data = await gql.data(UPDATE, {"id": customer_id, "input": fields}, token)
    payload: dict[str, Any] = data["customerUpdate"]
    return payload


class TestFavoriteStorePrecedence:
    async def test_every_pair_of_sources(self, gql: GraphQLClient, tenant: Tenant) -> None:
        first = await create_store(gql, tenant.token, "first")
        second = await create_store(gql, tenant.token, "second")
        for current in PRECEDENCE:
            for incoming in PRECEDENCE:
                customer = await create_customer(
                    gql, tenant.token, firstName="Before", favoriteStore=favorite(first, current)
                )
                payload = await update(
                    gql,
                    tenant.token,
                    customer["id"],
                    firstName="After",
                    favoriteStore=favorite(second, incoming),
                )
                stored = (await gql.data(READ, {"id": customer["id"]}, tenant.token))["customer"]
                case = f"{incoming} over {current}"
                if PRECEDENCE.index(incoming) <= PRECEDENCE.index(current):
                    assert payload["errors"] == [], case
                    assert stored == {
                        "firstName": "After",
                        "favoriteStore": {"source": incoming, "store": {"id": second}},
                    }, case
                else:
                    assert payload["customer"] is None, case
                    assert [(e["field"], e["code"]) for e in payload["errors"]] == [
                        ("favoriteStore", "LOWER_PRECEDENCE_SOURCE")
                    ], case
                    # Nothing of the update is written, not even the other fields.
                    assert stored == {
                        "firstName": "Before",
                        "favoriteStore": {"source": current, "store": {"id": first}},
                    }, case

    async def test_a_first_choice_from_any_source_is_taken(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        store = await create_store(gql, tenant.token, "main")
        customer = await create_customer(gql, tenant.token, firstName="New")
        payload = await update(
            gql, tenant.token, customer["id"], favoriteStore=favorite(store, "PURCHASE_HISTORY")
        )
        assert payload["customer"]["favoriteStore"] == {
            "source": "PURCHASE_HISTORY",
            "store": {"id": store, "code": "main"},
        }

    async def test_an_update_without_the_field_keeps_the_favorite(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        store = await create_store(gql, tenant.token, "main")
        customer = await create_customer(
            gql, tenant.token, favoriteStore=favorite(store, "WALLET_APP")
        )
        payload = await update(gql, tenant.token, customer["id"], firstName="Renamed")
        assert payload["customer"]["favoriteStore"]["source"] == "WALLET_APP"

    async def test_unknown_store_is_store_not_found(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        payload = await update(
            gql,
            tenant.token,
            customer["id"],
            firstName="Changed",
            favoriteStore=favorite(UNKNOWN_ID, "WALLET_APP"),
        )
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [
            ("favoriteStore", "STORE_NOT_FOUND")
        ]
        stored = (await gql.data(READ, {"id": customer["id"]}, tenant.token))["customer"]
        assert stored == {"firstName": "Ann", "favoriteStore": None}

    async def test_a_malformed_store_id_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        codes = await gql.error_codes(
            UPDATE,
            {"id": customer["id"], "input": {"favoriteStore": favorite("store-1", "IMPORT")}},
            tenant.token,
        )
        assert codes == ["INVALID_ARGUMENT"]


class TestSignupForm:
    async def test_a_known_form_is_shown_on_the_customer(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        created = await gql.data(
            'mutation { signupFormCreate(name: "Spring fair", channel: EVENT) {'
            " signupForm { id } errors { code } } }",
            token=tenant.token,
        )
        form_id = created["signupFormCreate"]["signupForm"]["id"]
        customer = await create_customer(gql, tenant.token, firstName="Ann", signupFormId=form_id)
        data = await gql.data(
            "query($id: ID!) { customer(id: $id) { signupForm { id name channel } } }",
            {"id": customer["id"]},
            tenant.token,
        )
        assert data["customer"]["signupForm"] == {
            "id": form_id,
            "name": "Spring fair",
            "channel": "EVENT",
        }

    async def test_unknown_form_is_signup_form_not_found(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            "mutation($input: CustomerFieldsInput!) {"
            " customerCreate(input: $input) { customer { id } errors { field code } } }",
            {"input": {"firstName": "Ann", "signupFormId": UNKNOWN_ID}},
            tenant.token,
        )
        assert data["customerCreate"] == {
            "customer": None,
            "errors": [{"field": "signupFormId", "code": "SIGNUP_FORM_NOT_FOUND"}],
        }
        listed = await gql.data("{ customers { nodes { id } } }", token=tenant.token)
        assert listed["customers"]["nodes"] == []

    async def test_unknown_form_and_store_are_reported_together(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            "mutation($input: CustomerFieldsInput!) {"
            " customerCreate(input: $input) { errors { field code } } }",
            {
                "input": {
                    "signupFormId": UNKNOWN_ID,
                    "favoriteStore": favorite(UNKNOWN_ID, "SIGNUP_FORM"),
                }
            },
            tenant.token,
        )
        assert {(e["field"], e["code"]) for e in data["customerCreate"]["errors"]} == {
            ("signupFormId", "SIGNUP_FORM_NOT_FOUND"),
            ("favoriteStore", "STORE_NOT_FOUND"),
        }
