"""Consent rules visible through the API: staff can never opt a customer into push; email
opt-in changes keep their evidence."""

from __future__ import annotations

from app.auth.permissions import ApiKeyScope
from app.config import Settings
from app.core.clock import utcnow
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, create_customer, owner_of
from tests.imports.helpers import csv_text, import_file

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


class TestEmailEvidence:
    """Email opt-in keeps evidence as SMS does: a consent_event per change with its source and
    time (issue #12, rule 10)."""

    async def test_staff_and_api_changes_are_recorded_with_source_and_time(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        before = utcnow()
        customer = await create_customer(
            gql, tenant.token, email="ann@example.com", emailOptIn=True
        )
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_WRITE)
        payload = await gql.data(
            "mutation($id: ID!) { customerUpdate(id: $id, input: {emailOptIn: false}) {"
            " customer { consent { emailOptIn } } errors { code } } }",
            {"id": customer["id"]},
            key.secret,
        )
        assert payload["customerUpdate"]["errors"] == []
        events = await ConsentEvent.filter(
            customer_id=customer["id"], channel=ConsentChannel.EMAIL
        ).order_by("created_at", "id")
        assert [(e.state, e.source) for e in events] == [
            ("SUBSCRIBED", ConsentSource.STAFF),
            ("UNSUBSCRIBED", ConsentSource.API),
        ]
        assert all(before <= e.created_at <= utcnow() for e in events)
        assert {str(e.organization_id) for e in events} == {str(tenant.organization_id)}

    async def test_saving_without_a_change_records_nothing(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, email="bo@example.com", emailOptIn=True)
        await gql.data(
            "mutation($id: ID!) { customerUpdate(id: $id, input: {emailOptIn: true}) {"
            " errors { code } } }",
            {"id": customer["id"]},
            tenant.token,
        )
        count = await ConsentEvent.filter(
            customer_id=customer["id"], channel=ConsentChannel.EMAIL
        ).count()
        assert count == 1

    async def test_an_import_records_its_own_source_and_job(
        self, settings: Settings, tenant: Tenant
    ) -> None:
        job = await import_file(
            owner_of(tenant),
            settings,
            csv_text("Email,Email opt-in", "cy@example.com,yes", "di@example.com,no"),
        )
        events = await ConsentEvent.filter(
            organization_id=tenant.organization_id, channel=ConsentChannel.EMAIL
        )
        assert [(e.state, e.source, e.text) for e in events] == [
            ("SUBSCRIBED", ConsentSource.IMPORT, f"import:{job.id}")
        ]
        assert events[0].created_at is not None
