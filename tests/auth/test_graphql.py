"""Who is calling: staff sessions, API keys, and refused credentials, through GraphQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from app.auth import service as auth
from app.auth.permissions import ApiKeyScope
from app.auth.principal import Principal
from app.auth.service import create_api_key, issue_token
from app.core.clock import advanced
from app.models.organization import Store
from app.models.staff import Role, Staff
from tests.conftest import GraphQLClient, Tenant
from tests.factories import STAFF_PASSWORD, add_api_key, add_staff, owner_of

VIEWER = "{ viewer { kind organizationId role scopes staff { id email } } }"
LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token expiresIn staff { id email role } errors { field code message }
  }
}"""
LOGOUT = "mutation { logout { errors { code } } }"
STAFF_DEACTIVATE = """
mutation($id: ID!) { staffDeactivate(id: $id) { staff { id isActive } errors { code } } }"""
API_KEY_CREATE = """
mutation($name: String!, $scopes: [ApiKeyScope!]!) {
  apiKeyCreate(name: $name, scopes: $scopes) {
    key apiKey { id name prefix scopes revokedAt } errors { field code }
  }
}"""
API_KEY_REVOKE = """
mutation($id: ID!) { apiKeyRevoke(id: $id) { apiKey { id revokedAt } errors { code } } }"""
CUSTOMERS = "{ customers { nodes { id } } }"


async def login(gql: GraphQLClient, email: str, password: str) -> dict[str, Any]:
    data = await gql.data(LOGIN, {"email": email, "password": password})
    payload: dict[str, Any] = data["login"]
    return payload


class TestLogin:
    async def test_returns_a_bearer_token_that_works(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        payload = await login(gql, f"  {tenant.owner_email.upper()} ", tenant.password)
        assert payload["errors"] == []
        assert payload["staff"] == {
            "id": str(tenant.owner_id),
            "email": tenant.owner_email,
            "role": "OWNER",
        }
        assert payload["expiresIn"] > 0
        viewer = await gql.data(VIEWER, token=payload["token"])
        assert viewer["viewer"]["kind"] == "STAFF"
        assert viewer["viewer"]["organizationId"] == str(tenant.organization_id)
        assert viewer["viewer"]["staff"]["id"] == str(tenant.owner_id)

    async def test_records_the_time_of_the_last_login(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        before = await Staff.get(id=tenant.owner_id)
        assert before.last_login_at is None
        await login(gql, tenant.owner_email, tenant.password)
        after = await Staff.get(id=tenant.owner_id)
        assert after.last_login_at is not None

    async def test_wrong_password_is_invalid_credentials(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        payload = await login(gql, tenant.owner_email, "not the password at all")
        assert payload["token"] is None
        assert payload["staff"] is None
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]

    async def test_unknown_email_is_answered_like_a_wrong_password(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        wrong_password = await login(gql, tenant.owner_email, "not the password at all")
        unknown = await login(gql, "nobody@example.com", tenant.password)
        malformed = await login(gql, "not an email", tenant.password)
        assert unknown == wrong_password
        assert malformed == wrong_password

    async def test_a_deactivated_staff_member_cannot_sign_in(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        member = await add_staff(tenant, Role.OPERATOR)
        await auth.deactivate_staff(owner_of(tenant), member.id)
        payload = await login(gql, member.email, STAFF_PASSWORD)
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]

    async def test_needs_no_credential_even_when_a_stale_one_is_sent(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            LOGIN,
            {"email": tenant.owner_email, "password": tenant.password},
            token="lst_expired-or-garbage",
        )
        assert data["login"]["errors"] == []


class TestLogout:
    async def test_the_token_stops_working(self, gql: GraphQLClient, tenant: Tenant) -> None:
        token = (await login(gql, tenant.owner_email, tenant.password))["token"]
        await gql.data(VIEWER, token=token)  # now trusted by the credential cache
        data = await gql.data(LOGOUT, token=token)
        assert data["logout"]["errors"] == []
        assert await gql.error_codes(VIEWER, token=token) == ["INVALID_CREDENTIALS"]

    async def test_other_sessions_of_the_same_staff_keep_working(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        token = (await login(gql, tenant.owner_email, tenant.password))["token"]
        await gql.data(LOGOUT, token=token)
        viewer = await gql.data(VIEWER, token=tenant.token)
        assert viewer["viewer"]["staff"]["id"] == str(tenant.owner_id)

    async def test_needs_a_credential(self, gql: GraphQLClient) -> None:
        assert await gql.error_codes(LOGOUT) == ["UNAUTHENTICATED"]

    async def test_an_api_key_is_told_to_revoke_instead(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        issued = await create_api_key(
            Principal.system(tenant.organization_id), "POS", [ApiKeyScope.WALLET_READ]
        )
        data = await gql.data(LOGOUT, token=issued.key)
        assert [e["code"] for e in data["logout"]["errors"]] == ["INVALID"]
        assert await gql.error_codes(VIEWER, token=issued.key) == []

    async def test_a_session_is_not_trusted_past_its_expiry(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        staff = await Staff.get(id=tenant.owner_id)
        issued = await issue_token(staff, ttl_seconds=1)
        await gql.data(VIEWER, token=issued.token)  # cached for at most the second it has left
        with advanced(dt.timedelta(seconds=2)):
            assert await gql.error_codes(VIEWER, token=issued.token) == ["INVALID_CREDENTIALS"]


class TestBearer:
    async def test_missing_credential_is_unauthenticated(self, gql: GraphQLClient) -> None:
        body = await gql.raw(CUSTOMERS)
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]

    @pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "Token x"])
    async def test_other_schemes_count_as_missing(
        self, http: httpx.AsyncClient, header: str
    ) -> None:
        response = await http.post(
            "/graphql", json={"query": CUSTOMERS}, headers={"authorization": header}
        )
        errors = response.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]

    @pytest.mark.parametrize(
        "garbage",
        ["nonsense", "lst_" + "a" * 43, "lk_" + "b" * 43, "lst_", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln"],
    )
    async def test_garbage_bearer_is_invalid_credentials(
        self, gql: GraphQLClient, garbage: str
    ) -> None:
        assert await gql.error_codes(CUSTOMERS, token=garbage) == ["INVALID_CREDENTIALS"]

    async def test_expired_session_is_invalid_credentials(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        owner = await Staff.get(id=tenant.owner_id)
        expired = await auth.issue_token(owner, ttl_seconds=-1)
        assert await gql.error_codes(VIEWER, token=expired.token) == ["INVALID_CREDENTIALS"]

    async def test_header_scheme_is_case_insensitive(
        self, http: httpx.AsyncClient, tenant: Tenant
    ) -> None:
        response = await http.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"authorization": f"bearer {tenant.token}"},
        )
        assert response.json()["data"]["viewer"]["kind"] == "STAFF"


class TestDeactivatedStaff:
    async def test_token_stops_working_at_once(self, gql: GraphQLClient, tenant: Tenant) -> None:
        member = await add_staff(tenant, Role.MANAGER)
        await gql.data(VIEWER, token=member.token)  # cached as valid
        data = await gql.data(STAFF_DEACTIVATE, {"id": str(member.id)}, tenant.token)
        assert data["staffDeactivate"] == {
            "staff": {"id": str(member.id), "isActive": False},
            "errors": [],
        }
        assert await gql.error_codes(VIEWER, token=member.token) == ["INVALID_CREDENTIALS"]
        assert await gql.error_codes(CUSTOMERS, token=member.token) == ["INVALID_CREDENTIALS"]


class TestApiKey:
    async def test_created_key_works_within_its_scopes(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            API_KEY_CREATE, {"name": " Till 1 ", "scopes": ["CUSTOMERS_READ"]}, tenant.token
        )
        payload = data["apiKeyCreate"]
        assert payload["errors"] == []
        key = payload["key"]
        assert key.startswith(payload["apiKey"]["prefix"])
        assert payload["apiKey"]["name"] == "Till 1"
        assert payload["apiKey"]["scopes"] == ["CUSTOMERS_READ"]

        viewer = await gql.data(VIEWER, token=key)
        assert viewer["viewer"] == {
            "kind": "API_KEY",
            "organizationId": str(tenant.organization_id),
            "role": None,
            "scopes": ["CUSTOMERS_READ"],
            "staff": None,
        }
        listed = await gql.data(CUSTOMERS, token=key)
        assert listed["customers"]["nodes"] == []

    async def test_operations_outside_its_scopes_are_forbidden(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_READ)
        for document in (
            "{ staffMembers { id } }",
            "{ apiKeys { id } }",
            "{ auditEvents { nodes { id } } }",
            'mutation { customerArchive(id: "01a20408-0000-7000-8000-000000000000",'
            ' reason: "x") { errors { code } } }',
            'mutation { customerCreate(input: {firstName: "X"}) { errors { code } } }',
            'mutation { storeCreate(name: "S", code: "s") { errors { code } } }',
            'mutation { apiKeyCreate(name: "k", scopes: [CUSTOMERS_READ]) { key } }',
            "mutation { organizationUpdate(input: {}) { errors { code } } }",
        ):
            body = await gql.raw(document, token=key.secret)
            assert body["data"] is None, document
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], document
        assert await Store.filter(organization_id=tenant.organization_id).count() == 0

    async def test_a_wallet_key_cannot_read_customers(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.WALLET_READ)
        assert await gql.error_codes(CUSTOMERS, token=key.secret) == ["FORBIDDEN"]

    async def test_a_write_key_creates_customers_but_cannot_archive(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_WRITE)
        created = await gql.data(
            'mutation { customerCreate(input: {firstName: "Pos"}) {'
            " customer { id } errors { code } } }",
            token=key.secret,
        )
        customer_id = created["customerCreate"]["customer"]["id"]
        codes = await gql.error_codes(
            'mutation($id: ID!) { customerArchive(id: $id, reason: "dup") { errors { code } } }',
            {"id": customer_id},
            key.secret,
        )
        assert codes == ["FORBIDDEN"]

    async def test_revoked_key_is_refused_at_once(self, gql: GraphQLClient, tenant: Tenant) -> None:
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_READ)
        await gql.data(CUSTOMERS, token=key.secret)  # cached as valid
        data = await gql.data(API_KEY_REVOKE, {"id": str(key.id)}, tenant.token)
        assert data["apiKeyRevoke"]["errors"] == []
        assert data["apiKeyRevoke"]["apiKey"]["revokedAt"] is not None
        assert await gql.error_codes(CUSTOMERS, token=key.secret) == ["INVALID_CREDENTIALS"]

    async def test_revoking_twice_keeps_the_first_revocation(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.CUSTOMERS_READ)
        first = await gql.data(API_KEY_REVOKE, {"id": str(key.id)}, tenant.token)
        second = await gql.data(API_KEY_REVOKE, {"id": str(key.id)}, tenant.token)
        assert second["apiKeyRevoke"]["errors"] == []
        assert (
            second["apiKeyRevoke"]["apiKey"]["revokedAt"]
            == first["apiKeyRevoke"]["apiKey"]["revokedAt"]
        )

    async def test_revoking_an_unknown_key_is_not_found(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            API_KEY_REVOKE, {"id": "01a20408-0000-7000-8000-000000000000"}, tenant.token
        )
        assert [e["code"] for e in data["apiKeyRevoke"]["errors"]] == ["NOT_FOUND"]

    async def test_needs_at_least_one_scope(self, gql: GraphQLClient, tenant: Tenant) -> None:
        data = await gql.data(API_KEY_CREATE, {"name": "POS", "scopes": []}, tenant.token)
        assert data["apiKeyCreate"]["key"] is None
        assert data["apiKeyCreate"]["errors"] == [{"field": "scopes", "code": "INVALID_SCOPE"}]

    async def test_the_list_never_shows_the_secret(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await add_api_key(tenant, ApiKeyScope.WALLET_READ, ApiKeyScope.WALLET_EARN)
        body = await gql.raw("{ apiKeys { id name prefix scopes revokedAt } }", token=tenant.token)
        assert body["data"]["apiKeys"] == [
            {
                "id": str(key.id),
                "name": "POS",
                "prefix": key.secret[:10],
                "scopes": ["WALLET_READ", "WALLET_EARN"],
                "revokedAt": None,
            }
        ]
        assert key.secret not in str(body)
