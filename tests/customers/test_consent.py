"""Consent rules visible through the API: staff can never opt a customer into push."""

from __future__ import annotations

from app.auth.permissions import ApiKeyScope
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, create_customer

INPUT_FIELDS = '{ __type(name: "CustomerFieldsInput") { inputFields { name } } }'


class TestPushOptIn:
    async def test_the_customer_input_has_no_push_field(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(INPUT_FIELDS, token=tenant.token)
        names = {f["name"] for f in data["__type"]["inputFields"]}
        assert {"email", "phone", "emailOptIn", "smsOptIn"} <= names
        assert not any("push" in name.lower() for name in names)

    async def test_sending_a_push_field_is_refused_and_writes_nothing(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, email="ann@example.com")
        body = await gql.raw(
            "mutation($id: ID!) { customerUpdate(id: $id, input: {pushOptIn: true}) {"
            " customer { id } } }",
            {"id": customer["id"]},
            tenant.token,
        )
        assert body["data"] is None
        assert "pushOptIn" in body["errors"][0]["message"]
        read = await gql.data(
            "query($id: ID!) { customer(id: $id) { consent { pushOptIn } } }",
            {"id": customer["id"]},
            tenant.token,
        )
        assert read["customer"]["consent"] == {"pushOptIn": False}

    async def test_an_api_key_cannot_set_it_either(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_WRITE)
        body = await gql.raw(
            'mutation { customerCreate(input: {email: "a@example.com", pushOptIn: true}) {'
            " customer { id } } }",
            token=key.secret,
        )
        assert body["data"] is None
        listed = await gql.data("{ customers { nodes { id } } }", token=tenant.token)
        assert listed["customers"]["nodes"] == []
