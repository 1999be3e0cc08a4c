"""The role × operation matrix, enforced through GraphQL, and the service rules about owners."""

from __future__ import annotations

import secrets

from arq.connections import ArqRedis

from app.auth import service as auth
from app.auth.permissions import ROLE_OPERATIONS, Operation, role_allows
from app.config import Settings
from app.models.staff import Role, Staff
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff, audit_events, owner_of
from tests.live_client import live_client, served

UNKNOWN_ID = "01a20408-0000-7000-8000-000000000000"

# One GraphQL request per operation; each one succeeds (possibly with a payload error such
# as NOT_FOUND) when the operation is allowed, and is refused with FORBIDDEN when it is not.
PROBES: dict[Operation, str] = {
    Operation.CUSTOMER_READ: "{ customers { nodes { id } } }",
    Operation.CUSTOMER_WRITE: (
        'mutation { customerCreate(input: {firstName: "Probe"}) { errors { code } } }'
    ),
    Operation.CUSTOMER_ARCHIVE: (
        f'mutation {{ customerArchive(id: "{UNKNOWN_ID}", reason: "probe") {{'
        " errors { code } } }"
    ),
    Operation.SEGMENTS_RECOMPUTE: "mutation { segmentsRecompute { errors { code } } }",
    Operation.PREDICTIONS_REFIT: "mutation { predictionModelRefit { errors { code } } }",
    Operation.CUSTOMER_MERGE: (
        f'mutation {{ customerUnmerge(mergeId: "{UNKNOWN_ID}") {{ errors {{ code }} }} }}'
    ),
    Operation.STAFF_MANAGE: "{ staffMembers { id } }",
    Operation.API_KEY_MANAGE: "{ apiKeys { id } }",
    Operation.AUDIT_READ: "{ auditEvents { nodes { id } } }",
    Operation.IDENTIFIER_STATUS: '{ identifierStatus(email: "probe@example.com") { status } }',
    Operation.STORE_MANAGE: 'mutation { storeCreate(name: "S", code: "CODE") { errors { code } } }',
    Operation.ORGANIZATION_MANAGE: "mutation { organizationUpdate(input: {}) { errors { code } } }",
    Operation.CUSTOMER_MERGE: "{ duplicateSuggestions { nodes { id } } }",
    Operation.DUPLICATE_SETTINGS: (
        "mutation { placeholderSettingsUpdate(input: {}) { errors { code } } }"
    ),
    Operation.CUSTOMER_STATS: "{ customerStats { customers } }",
    Operation.FINANCE_READ: "{ pointsLiability { outstandingPoints } }",
}

# The live progress subscriptions, over a WebSocket: allowed, each ends with a NOT_FOUND payload
# error (nothing to follow); refused, with FORBIDDEN.
LIVE_PROBES: dict[Operation, str] = {
    Operation.IMPORT_RUN: (
        f'subscription {{ importJobProgress(id: "{UNKNOWN_ID}") {{ errors {{ code }} }} }}'
    ),
    Operation.PERSONA_READ: "subscription { personaRegeneration { errors { code } } }",
}

STAFF_CREATE = """
mutation($input: StaffCreateInput!) {
  staffCreate(input: $input) { staff { id email role isActive } errors { field code } }
}"""
ROLE_UPDATE = """
mutation($id: ID!, $role: Role!) {
  staffRoleUpdate(id: $id, role: $role) { staff { id role } errors { field code } }
}"""
DEACTIVATE = """
mutation($id: ID!) { staffDeactivate(id: $id) { staff { id isActive } errors { field code } } }"""
VIEWER_ROLE = "{ viewer { role } }"


class TestRoleMatrix:
    async def test_graphql_enforces_the_matrix(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for role in Role:
            member = await add_staff(tenant, role)
            for operation, document in PROBES.items():
                document = document.replace("CODE", secrets.token_hex(3))
                codes = await gql.error_codes(document, token=member.token)
                expected = [] if role_allows(role, operation) else ["FORBIDDEN"]
                assert codes == expected, (role, operation)

    async def test_subscriptions_enforce_the_matrix(
        self, settings: Settings, arq_redis: ArqRedis, tenant: Tenant
    ) -> None:
        async with served(settings, arq_redis) as url:
            for role in Role:
                member = await add_staff(tenant, role)
                async with live_client(url, member.token) as client:
                    for operation, document in LIVE_PROBES.items():
                        events = await client.events(await client.subscribe(document))
                        codes = [
                            e["extensions"]["code"]
                            for event in events
                            for e in event.get("errors", [])
                        ]
                        expected = [] if role_allows(role, operation) else ["FORBIDDEN"]
                        assert codes == expected, (role, operation, events)
                        if not expected:
                            (payload,) = events[0]["data"].values()
                            assert payload == {"errors": [{"code": "NOT_FOUND"}]}

    def test_the_matrix_has_the_documented_shape(self) -> None:
        assert ROLE_OPERATIONS[Role.OWNER] == frozenset(Operation)
        assert ROLE_OPERATIONS[Role.MANAGER] == frozenset(Operation) - {
            Operation.ORGANIZATION_MANAGE
        }
        for role in Role:
            assert role_allows(role, Operation.CUSTOMER_READ)
        for role in (Role.OPERATOR, Role.STAFF, Role.MARKETING, Role.ANALYST):
            assert not role_allows(role, Operation.STAFF_MANAGE)
            assert not role_allows(role, Operation.API_KEY_MANAGE)

    async def test_analyst_reads_customers_but_cannot_create_one(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        analyst = await add_staff(tenant, Role.ANALYST)
        await gql.data("{ customers { nodes { id } } }", token=analyst.token)
        body = await gql.raw(PROBES[Operation.CUSTOMER_WRITE], token=analyst.token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
        listed = await gql.data("{ customers { nodes { id } } }", token=tenant.token)
        assert listed["customers"]["nodes"] == []

    async def test_store_associate_cannot_archive(self, gql: GraphQLClient, tenant: Tenant) -> None:
        associate = await add_staff(tenant, Role.STAFF)
        codes = await gql.error_codes(PROBES[Operation.CUSTOMER_ARCHIVE], token=associate.token)
        assert codes == ["FORBIDDEN"]

    async def test_a_role_change_applies_to_an_open_session_at_once(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        member = await add_staff(tenant, Role.ANALYST)
        assert await gql.error_codes(PROBES[Operation.AUDIT_READ], token=member.token) == [
            "FORBIDDEN"
        ]
        data = await gql.data(ROLE_UPDATE, {"id": str(member.id), "role": "OPERATOR"}, tenant.token)
        assert data["staffRoleUpdate"]["staff"]["role"] == "OPERATOR"
        assert (await gql.data(VIEWER_ROLE, token=member.token))["viewer"]["role"] == "OPERATOR"
        assert await gql.error_codes(PROBES[Operation.AUDIT_READ], token=member.token) == []


class TestStaffCreate:
    async def test_creates_a_staff_member_who_can_sign_in(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            STAFF_CREATE,
            {
                "input": {
                    "email": " New.Person@Example.com",
                    "name": "New Person",
                    "role": "MARKETING",
                    "password": "long enough password",
                }
            },
            tenant.token,
        )
        payload = data["staffCreate"]
        assert payload["errors"] == []
        assert payload["staff"]["email"] == "new.person@example.com"
        assert payload["staff"]["role"] == "MARKETING"
        assert payload["staff"]["isActive"] is True
        login = await gql.data(
            'mutation { login(email: "new.person@example.com", password: '
            '"long enough password") { staff { role } errors { code } } }'
        )
        assert login["login"] == {"staff": {"role": "MARKETING"}, "errors": []}

    async def test_refuses_invalid_input(self, gql: GraphQLClient, tenant: Tenant) -> None:
        for email, password, expected in (
            ("not-an-email", "long enough password", [("email", "INVALID_EMAIL")]),
            ("short@example.com", "short", [("password", "PASSWORD_TOO_SHORT")]),
        ):
            data = await gql.data(
                STAFF_CREATE,
                {"input": {"email": email, "role": "STAFF", "password": password}},
                tenant.token,
            )
            assert data["staffCreate"]["staff"] is None
            errors = data["staffCreate"]["errors"]
            assert [(e["field"], e["code"]) for e in errors] == expected

    async def test_an_email_in_use_is_a_duplicate(self, gql: GraphQLClient, tenant: Tenant) -> None:
        member = await add_staff(tenant, Role.STAFF)
        data = await gql.data(
            STAFF_CREATE,
            {
                "input": {
                    "email": member.email.upper(),
                    "role": "STAFF",
                    "password": "long enough password",
                }
            },
            tenant.token,
        )
        assert [e["code"] for e in data["staffCreate"]["errors"]] == ["DUPLICATE_EMAIL"]

    async def test_manager_cannot_grant_owner(self, gql: GraphQLClient, tenant: Tenant) -> None:
        manager = await add_staff(tenant, Role.MANAGER)
        data = await gql.data(
            STAFF_CREATE,
            {
                "input": {
                    "email": "second-owner@example.com",
                    "role": "OWNER",
                    "password": "long enough password",
                }
            },
            manager.token,
        )
        assert data["staffCreate"] == {
            "staff": None,
            "errors": [{"field": "role", "code": "ROLE_NOT_GRANTABLE"}],
        }
        assert not await Staff.exists(email="second-owner@example.com")


class TestStaffRoleUpdate:
    async def test_manager_cannot_promote_to_owner(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        manager = await add_staff(tenant, Role.MANAGER)
        analyst = await add_staff(tenant, Role.ANALYST)
        data = await gql.data(ROLE_UPDATE, {"id": str(analyst.id), "role": "OWNER"}, manager.token)
        assert [e["code"] for e in data["staffRoleUpdate"]["errors"]] == ["ROLE_NOT_GRANTABLE"]
        assert (await Staff.get(id=analyst.id)).role is Role.ANALYST

    async def test_manager_cannot_demote_an_owner(self, gql: GraphQLClient, tenant: Tenant) -> None:
        manager = await add_staff(tenant, Role.MANAGER)
        await add_staff(tenant, Role.OWNER)
        data = await gql.data(
            ROLE_UPDATE, {"id": str(tenant.owner_id), "role": "ANALYST"}, manager.token
        )
        assert [e["code"] for e in data["staffRoleUpdate"]["errors"]] == ["ROLE_NOT_GRANTABLE"]

    async def test_manager_changes_other_roles(self, gql: GraphQLClient, tenant: Tenant) -> None:
        manager = await add_staff(tenant, Role.MANAGER)
        analyst = await add_staff(tenant, Role.ANALYST)
        data = await gql.data(
            ROLE_UPDATE, {"id": str(analyst.id), "role": "MARKETING"}, manager.token
        )
        assert data["staffRoleUpdate"] == {
            "staff": {"id": str(analyst.id), "role": "MARKETING"},
            "errors": [],
        }

    async def test_the_last_active_owner_cannot_be_demoted(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            ROLE_UPDATE, {"id": str(tenant.owner_id), "role": "MANAGER"}, tenant.token
        )
        assert [e["code"] for e in data["staffRoleUpdate"]["errors"]] == ["LAST_OWNER"]
        assert (await Staff.get(id=tenant.owner_id)).role is Role.OWNER

    async def test_an_owner_can_step_down_when_another_owner_remains(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await add_staff(tenant, Role.OWNER)
        data = await gql.data(
            ROLE_UPDATE, {"id": str(tenant.owner_id), "role": "MANAGER"}, tenant.token
        )
        assert data["staffRoleUpdate"]["errors"] == []
        assert (await gql.data(VIEWER_ROLE, token=tenant.token))["viewer"]["role"] == "MANAGER"

    async def test_a_deactivated_owner_can_be_demoted(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        other_owner = await add_staff(tenant, Role.OWNER)
        await auth.deactivate_staff(owner_of(tenant), other_owner.id)
        data = await gql.data(
            ROLE_UPDATE, {"id": str(other_owner.id), "role": "ANALYST"}, tenant.token
        )
        assert data["staffRoleUpdate"]["errors"] == []
        assert (await Staff.get(id=other_owner.id)).role is Role.ANALYST

    async def test_unknown_staff_is_not_found(self, gql: GraphQLClient, tenant: Tenant) -> None:
        data = await gql.data(ROLE_UPDATE, {"id": UNKNOWN_ID, "role": "STAFF"}, tenant.token)
        assert [e["code"] for e in data["staffRoleUpdate"]["errors"]] == ["NOT_FOUND"]


class TestStaffDeactivate:
    async def test_the_last_active_owner_cannot_be_deactivated(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(DEACTIVATE, {"id": str(tenant.owner_id)}, tenant.token)
        assert [e["code"] for e in data["staffDeactivate"]["errors"]] == ["LAST_OWNER"]
        assert (await gql.data(VIEWER_ROLE, token=tenant.token))["viewer"]["role"] == "OWNER"

    async def test_manager_cannot_deactivate_an_owner(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        manager = await add_staff(tenant, Role.MANAGER)
        await add_staff(tenant, Role.OWNER)
        data = await gql.data(DEACTIVATE, {"id": str(tenant.owner_id)}, manager.token)
        assert [e["code"] for e in data["staffDeactivate"]["errors"]] == ["ROLE_NOT_GRANTABLE"]
        assert (await Staff.get(id=tenant.owner_id)).is_active

    async def test_deactivating_twice_is_harmless(self, gql: GraphQLClient, tenant: Tenant) -> None:
        member = await add_staff(tenant, Role.STAFF)
        for _ in range(2):
            data = await gql.data(DEACTIVATE, {"id": str(member.id)}, tenant.token)
            assert data["staffDeactivate"] == {
                "staff": {"id": str(member.id), "isActive": False},
                "errors": [],
            }
        events = await audit_events(gql, tenant.token, member.id)
        assert [e["action"] for e in events] == ["STAFF_DEACTIVATED"]


class TestAccountAudit:
    async def test_staff_changes_are_audited(self, gql: GraphQLClient, tenant: Tenant) -> None:
        created = await gql.data(
            STAFF_CREATE,
            {
                "input": {
                    "email": "audited@example.com",
                    "name": "Audited Person",
                    "role": "ANALYST",
                    "password": "long enough password",
                }
            },
            tenant.token,
        )
        staff_id = created["staffCreate"]["staff"]["id"]
        await gql.data(ROLE_UPDATE, {"id": staff_id, "role": "OPERATOR"}, tenant.token)
        await gql.data(DEACTIVATE, {"id": staff_id}, tenant.token)

        events = await audit_events(gql, tenant.token, staff_id)
        expected = [
            ("STAFF_DEACTIVATED", {}),
            ("STAFF_ROLE_CHANGED", {"from": "ANALYST", "to": "OPERATOR"}),
            ("STAFF_CREATED", {"role": "ANALYST"}),
        ]
        assert [(e["action"], e["details"]) for e in events] == expected
        for event in events:
            assert event["actorKind"] == "STAFF"
            assert event["actorId"] == str(tenant.owner_id)
            assert event["subjectType"] == "staff"
        # The log names people by id only.
        assert "audited@example.com" not in str(events)
        assert "Audited Person" not in str(events)

    async def test_api_key_changes_are_audited(self, gql: GraphQLClient, tenant: Tenant) -> None:
        created = await gql.data(
            'mutation { apiKeyCreate(name: "Till", scopes: [WALLET_READ, WALLET_EARN]) {'
            " apiKey { id } } }",
            token=tenant.token,
        )
        key_id = created["apiKeyCreate"]["apiKey"]["id"]
        await gql.data(
            "mutation($id: ID!) { apiKeyRevoke(id: $id) { errors { code } } }",
            {"id": key_id},
            tenant.token,
        )
        events = await audit_events(gql, tenant.token, key_id)
        assert [(e["action"], e["details"], e["subjectType"]) for e in events] == [
            ("API_KEY_REVOKED", {}, "api_key"),
            ("API_KEY_CREATED", {"scopes": ["wallet:read", "wallet:earn"]}, "api_key"),
        ]
        assert {e["actorId"] for e in events} == {str(tenant.owner_id)}

    async def test_refused_changes_write_nothing(self, gql: GraphQLClient, tenant: Tenant) -> None:
        before = await audit_events(gql, tenant.token)
        await gql.data(ROLE_UPDATE, {"id": str(tenant.owner_id), "role": "STAFF"}, tenant.token)
        await gql.data(DEACTIVATE, {"id": str(tenant.owner_id)}, tenant.token)
        assert await audit_events(gql, tenant.token) == before
