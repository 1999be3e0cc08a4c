"""The organization of the credential, its stores and signup forms."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.errors import DomainError
from app.models.staff import Role
from app.organizations.service import bootstrap
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff, audit_events, create_customer

ORGANIZATION_UPDATE = """
mutation($input: OrganizationUpdateInput!) {
  organizationUpdate(input: $input) {
    organization { id name defaultRegion timezone } errors { field code }
  }
}"""
STORE_CREATE = """
mutation($name: String!, $code: String!, $online: Boolean!) {
  storeCreate(name: $name, code: $code, online: $online) {
    store { id name code online } errors { field code }
  }
}"""
SIGNUP_FORM_CREATE = """
mutation($name: String!) {
  signupFormCreate(name: $name) { signupForm { id name channel } errors { field code } }
}"""


async def update(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    data = await gql.data(ORGANIZATION_UPDATE, {"input": fields}, token)
    payload: dict[str, Any] = data["organizationUpdate"]
    return payload


class TestOrganization:
    async def test_is_the_organization_of_the_credential(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        mine = await gql.data("{ organization { id name } }", token=tenant.token)
        theirs = await gql.data("{ organization { id name } }", token=other_tenant.token)
        assert mine["organization"] == {"id": str(tenant.organization_id), "name": "Acme"}
        assert theirs["organization"] == {
            "id": str(other_tenant.organization_id),
            "name": "Globex",
        }


class TestOrganizationUpdate:
    async def test_changes_settings_and_audits_without_the_name(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        payload = await update(
            gql, tenant.token, name=" Acme Paris ", defaultRegion="fr", timezone="Europe/Paris"
        )
        assert payload["errors"] == []
        assert payload["organization"] == {
            "id": str(tenant.organization_id),
            "name": "Acme Paris",
            "defaultRegion": "FR",
            "timezone": "Europe/Paris",
        }
        events = await audit_events(gql, tenant.token, tenant.organization_id)
        assert (events[0]["action"], events[0]["details"]) == (
            "ORGANIZATION_UPDATED",
            {"name": "changed", "defaultRegion": "FR", "timezone": "Europe/Paris"},
        )

    async def test_the_new_region_reads_national_phone_numbers_at_once(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        us = await create_customer(gql, tenant.token, phone="(202) 555-0143")
        assert us["phone"] == "+12025550143"
        await update(gql, tenant.token, defaultRegion="FR")
        fr = await create_customer(gql, tenant.token, phone="06 12 34 56 78")
        assert fr["phone"] == "+33612345678"

    async def test_reports_every_invalid_setting(self, gql: GraphQLClient, tenant: Tenant) -> None:
        payload = await update(
            gql, tenant.token, name=" ", defaultRegion="XX", timezone="Mars/Base"
        )
        assert payload["organization"] is None
        assert {(e["field"], e["code"]) for e in payload["errors"]} == {
            ("name", "REQUIRED"),
            ("defaultRegion", "INVALID_REGION"),
            ("timezone", "INVALID_TIMEZONE"),
        }
        unchanged = await gql.data("{ organization { name defaultRegion } }", token=tenant.token)
        assert unchanged["organization"] == {"name": "Acme", "defaultRegion": "US"}

    async def test_a_manager_cannot_change_the_organization(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        manager = await add_staff(tenant, Role.MANAGER)
        codes = await gql.error_codes(
            ORGANIZATION_UPDATE, {"input": {"name": "Mine now"}}, manager.token
        )
        assert codes == ["FORBIDDEN"]


class TestStoreCreate:
    async def test_creates_and_lists_stores(self, gql: GraphQLClient, tenant: Tenant) -> None:
        data = await gql.data(
            STORE_CREATE, {"name": " Web shop ", "code": " web ", "online": True}, tenant.token
        )
        store = data["storeCreate"]["store"]
        assert data["storeCreate"]["errors"] == []
        assert (store["name"], store["code"], store["online"]) == ("Web shop", "web", True)
        listed = await gql.data("{ stores { id code } }", token=tenant.token)
        assert listed["stores"] == [{"id": store["id"], "code": "web"}]

    async def test_a_code_is_unique_within_the_organization(
        self, gql: GraphQLClient, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        variables = {"name": "Main", "code": "main", "online": False}
        await gql.data(STORE_CREATE, variables, tenant.token)
        again = await gql.data(STORE_CREATE, variables, tenant.token)
        assert again["storeCreate"]["errors"] == [{"field": "code", "code": "DUPLICATE"}]
        elsewhere = await gql.data(STORE_CREATE, variables, other_tenant.token)
        assert elsewhere["storeCreate"]["errors"] == []

    async def test_name_and_code_are_required(self, gql: GraphQLClient, tenant: Tenant) -> None:
        data = await gql.data(
            STORE_CREATE, {"name": " ", "code": "", "online": False}, tenant.token
        )
        assert {(e["field"], e["code"]) for e in data["storeCreate"]["errors"]} == {
            ("name", "REQUIRED"),
            ("code", "REQUIRED"),
        }


class TestSignupFormCreate:
    async def test_creates_and_lists_forms_with_unique_names(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        created = await gql.data(SIGNUP_FORM_CREATE, {"name": "Website"}, tenant.token)
        form = created["signupFormCreate"]["signupForm"]
        assert form["channel"] == "WEB"
        duplicate = await gql.data(SIGNUP_FORM_CREATE, {"name": " Website "}, tenant.token)
        assert duplicate["signupFormCreate"]["errors"] == [{"field": "name", "code": "DUPLICATE"}]
        listed = await gql.data("{ signupForms { id name } }", token=tenant.token)
        assert listed["signupForms"] == [{"id": form["id"], "name": "Website"}]


class TestBootstrap:
    async def test_creates_an_owner_who_is_signed_in(self, gql: GraphQLClient) -> None:
        result = await bootstrap(
            "Initech", " Boss@Initech.com ", None, default_region="gb", token_ttl_seconds=60
        )
        assert result.generated_password is not None
        assert result.organization.default_region == "GB"
        data = await gql.data("{ viewer { role staff { email } } }", token=result.token)
        assert data["viewer"] == {"role": "OWNER", "staff": {"email": "boss@initech.com"}}
        login = await gql.data(
            'mutation($p: String!) { login(email: "boss@initech.com", password: $p) {'
            " errors { code } } }",
            {"p": result.generated_password},
        )
        assert login["login"]["errors"] == []

    @pytest.mark.parametrize(
        ("email", "password", "region", "code"),
        [
            ("not-an-email", "long enough password", "US", "INVALID_EMAIL"),
            ("ok@example.com", "short", "US", "PASSWORD_TOO_SHORT"),
            ("ok@example.com", "long enough password", "ZZ", "INVALID_REGION"),
        ],
    )
    async def test_refuses_invalid_input(
        self, email: str, password: str, region: str, code: str
    ) -> None:
        with pytest.raises(DomainError) as info:
            await bootstrap("Initech", email, password, default_region=region, token_ttl_seconds=60)
        assert [e.code.value for e in info.value.errors] == [code]

    async def test_an_owner_may_own_several_organizations(self, tenant: Tenant) -> None:
        # Refusing would tell anyone bootstrapping that the email is staff somewhere.
        second = await bootstrap(
            "Second", tenant.owner_email, "long enough password", token_ttl_seconds=60
        )
        assert second.owner.email == tenant.owner_email
        assert second.organization.id != tenant.organization_id
