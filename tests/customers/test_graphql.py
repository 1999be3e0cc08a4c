from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, Tenant

CREATE = """
mutation($input: CustomerFieldsInput!) {
  customerCreate(input: $input) {
    customer { id status email phone externalReference firstName lastName birthday traits
               address { city country } consent { emailOptIn smsState pushOptIn } }
    errors { field code message }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: CustomerFieldsInput!, $mode: TraitsMode) {
  customerUpdate(id: $id, input: $input, traitsMode: $mode) {
    customer { id email phone traits firstName }
    errors { field code message }
  }
}"""


async def create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": fields}, token)
    payload: dict[str, Any] = data["customerCreate"]
    return payload


class TestCustomerCreate:
    async def test_normalizes_identifiers(self, gql: GraphQLClient, tenant: Tenant) -> None:
        payload = await create(
            gql,
            tenant.token,
            email=" Ann.Lee@Example.com ",
            phone="(202) 555-0143",
            firstName="Ann",
            lastName="Lee",
            birthday="1990-04-02",
            address={"city": "Austin", "country": "us"},
            traits={"shoeSize": 41},
        )
        assert payload["errors"] == []
        customer = payload["customer"]
        assert customer["email"] == "ann.lee@example.com"
        assert customer["phone"] == "+12025550143"
        assert customer["address"] == {"city": "Austin", "country": "US"}
        assert customer["traits"] == {"shoeSize": 41}
        assert customer["status"] == "ACTIVE"

    async def test_same_phone_in_another_format_is_a_duplicate(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        first = await create(gql, tenant.token, phone="(202) 555-0143")
        assert first["errors"] == []
        second = await create(gql, tenant.token, phone="+1 202-555-0143")
        assert second["customer"] is None
        assert second["errors"] == [
            {
                "field": "phone",
                "code": "DUPLICATE_PHONE",
                "message": "Another customer already has this phone.",
            }
        ]

    async def test_reports_every_invalid_field_and_writes_nothing(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        payload = await create(
            gql, tenant.token, email="not-an-email", phone="12", birthday="2999-01-01"
        )
        codes = {(e["field"], e["code"]) for e in payload["errors"]}
        assert codes == {
            ("email", "INVALID_EMAIL"),
            ("phone", "INVALID_PHONE"),
            ("birthday", "INVALID_BIRTHDAY"),
        }
        listed = await gql.data("{ customers { nodes { id } } }", token=tenant.token)
        assert listed["customers"]["nodes"] == []

    async def test_error_messages_do_not_echo_personal_data(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await create(gql, tenant.token, email="dup@example.com")
        payload = await create(gql, tenant.token, email="dup@example.com")
        assert all("dup@" not in e["message"] for e in payload["errors"])

    async def test_sms_opt_in_waits_for_double_opt_in(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        payload = await create(gql, tenant.token, phone="2025550143", smsOptIn=True)
        assert payload["customer"]["consent"]["smsState"] == "PENDING"

    async def test_opt_in_without_contact_is_refused(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        payload = await create(gql, tenant.token, firstName="Zed", smsOptIn=True)
        assert [e["code"] for e in payload["errors"]] == ["CONSENT_NEEDS_CONTACT"]


class TestCustomerUpdate:
    async def test_traits_merge_and_replace(self, gql: GraphQLClient, tenant: Tenant) -> None:
        created = await create(gql, tenant.token, email="t@example.com", traits={"a": 1, "b": 2})
        cid = created["customer"]["id"]
        merged = await gql.data(
            UPDATE, {"id": cid, "input": {"traits": {"b": None, "c": 3}}}, tenant.token
        )
        assert merged["customerUpdate"]["customer"]["traits"] == {"a": 1, "c": 3}
        replaced = await gql.data(
            UPDATE, {"id": cid, "input": {"traits": {"z": 9}}, "mode": "REPLACE"}, tenant.token
        )
        assert replaced["customerUpdate"]["customer"]["traits"] == {"z": 9}

    async def test_unknown_id_is_not_found(self, gql: GraphQLClient, tenant: Tenant) -> None:
        data = await gql.data(
            UPDATE,
            {"id": "01a20408-0000-7000-8000-000000000000", "input": {"firstName": "X"}},
            tenant.token,
        )
        assert data["customerUpdate"]["errors"][0]["code"] == "NOT_FOUND"

    async def test_malformed_id_is_a_typed_error(self, gql: GraphQLClient, tenant: Tenant) -> None:
        codes = await gql.error_codes(
            UPDATE, {"id": "not-an-id", "input": {"firstName": "X"}}, tenant.token
        )
        assert codes == ["INVALID_ARGUMENT"]

    async def test_duplicate_email_leaves_customer_unchanged(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await create(gql, tenant.token, email="one@example.com")
        two = await create(gql, tenant.token, email="two@example.com", firstName="Two")
        cid = two["customer"]["id"]
        data = await gql.data(
            UPDATE,
            {"id": cid, "input": {"email": "ONE@example.com", "firstName": "Changed"}},
            tenant.token,
        )
        assert data["customerUpdate"]["errors"][0]["code"] == "DUPLICATE_EMAIL"
        again = await gql.data(
            "query($id: ID!) { customer(id: $id) { email firstName } }", {"id": cid}, tenant.token
        )
        assert again["customer"] == {"email": "two@example.com", "firstName": "Two"}


FIND_OR_CREATE = """
mutation($ref: String!, $input: CustomerFieldsInput) {
  customerFindOrCreate(externalReference: $ref, input: $input) {
    created customer { id externalReference email } errors { code field }
  }
}"""


async def test_find_or_create_is_idempotent(gql: GraphQLClient, tenant: Tenant) -> None:
    first = await gql.data(
        FIND_OR_CREATE, {"ref": "u-42", "input": {"email": "u42@example.com"}}, tenant.token
    )
    second = await gql.data(FIND_OR_CREATE, {"ref": " u-42 "}, tenant.token)
    assert first["customerFindOrCreate"]["created"] is True
    assert second["customerFindOrCreate"]["created"] is False
    assert (
        first["customerFindOrCreate"]["customer"]["id"]
        == second["customerFindOrCreate"]["customer"]["id"]
    )
