"""Archiving hides a customer from normal search while keeping it reachable and audited."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, Tenant
from tests.factories import audit_events, create_customer

ARCHIVE = """
mutation($id: ID!, $reason: String!) {
  customerArchive(id: $id, reason: $reason) {
    customer { id status archivedAt archiveReason } errors { field code message }
  }
}"""
UNARCHIVE = """
mutation($id: ID!) {
  customerUnarchive(id: $id) {
    customer { id status archivedAt archiveReason } errors { field code message }
  }
}"""
LIST = """
query($search: String, $all: Boolean!) {
  customers(search: $search, includeArchived: $all) { nodes { id status } }
}"""
ARCHIVED = """
{ archivedCustomers { nodes { id contact contactKind archivedAt archiveReason } } }"""
ONE = "query($id: ID!) { customer(id: $id) { id status firstName email archiveReason } }"


async def archive(gql: GraphQLClient, token: str, customer_id: str, reason: str) -> dict[str, Any]:
    data = await gql.data(ARCHIVE, {"id": customer_id, "reason": reason}, token)
    payload: dict[str, Any] = data["customerArchive"]
    return payload


async def listed_ids(
    gql: GraphQLClient, token: str, *, search: str | None = None, include_archived: bool = False
) -> list[str]:
    data = await gql.data(LIST, {"search": search, "all": include_archived}, token)
    return [node["id"] for node in data["customers"]["nodes"]]


class TestCustomerArchive:
    async def test_archived_customer_leaves_normal_lists_but_stays_reachable(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        kept = await create_customer(gql, tenant.token, firstName="Kept", email="kept@example.com")
        gone = await create_customer(
            gql, tenant.token, firstName="Gone", email="gone@example.com", phone="2025550143"
        )
        payload = await archive(gql, tenant.token, gone["id"], "  duplicate   account ")
        assert payload["errors"] == []
        assert payload["customer"]["status"] == "ARCHIVED"
        assert payload["customer"]["archiveReason"] == "duplicate account"
        assert payload["customer"]["archivedAt"] is not None

        assert await listed_ids(gql, tenant.token) == [kept["id"]]
        assert await listed_ids(gql, tenant.token, search="gone@example.com") == []
        assert await listed_ids(gql, tenant.token, search="Gone") == []
        assert await listed_ids(gql, tenant.token, include_archived=True) == [
            kept["id"],
            gone["id"],
        ]
        assert await listed_ids(
            gql, tenant.token, search="gone@example.com", include_archived=True
        ) == [gone["id"]]

        direct = await gql.data(ONE, {"id": gone["id"]}, tenant.token)
        assert direct["customer"] == {
            "id": gone["id"],
            "status": "ARCHIVED",
            "firstName": "Gone",
            "email": "gone@example.com",
            "archiveReason": "duplicate account",
        }
        by_phone = await gql.data(
            '{ customer(phone: "+1 202 555 0143") { id } }', token=tenant.token
        )
        assert by_phone["customer"] == {"id": gone["id"]}

    async def test_requires_a_reason(self, gql: GraphQLClient, tenant: Tenant) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        for reason in ("", "   ", "\n\t"):
            payload = await archive(gql, tenant.token, customer["id"], reason)
            assert payload["customer"] is None
            errors = [(e["field"], e["code"]) for e in payload["errors"]]
            assert errors == [("reason", "REQUIRED")], repr(reason)
        assert await listed_ids(gql, tenant.token) == [customer["id"]]
        assert await audit_events(gql, tenant.token, customer["id"]) == []

    async def test_refuses_a_reason_longer_than_500_characters(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        # The documented maximum is checked at the GraphQL edge, before the service runs.
        body = await gql.raw(ARCHIVE, {"id": customer["id"], "reason": "x" * 501}, tenant.token)
        assert [e["extensions"] for e in body["errors"]] == [
            {"code": "VALUE_TOO_LONG", "field": "reason"}
        ]
        assert (await archive(gql, tenant.token, customer["id"], "x" * 500))["errors"] == []

    async def test_archiving_twice_is_already_archived(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        await archive(gql, tenant.token, customer["id"], "first")
        payload = await archive(gql, tenant.token, customer["id"], "second")
        assert [e["code"] for e in payload["errors"]] == ["ALREADY_ARCHIVED"]
        direct = await gql.data(ONE, {"id": customer["id"]}, tenant.token)
        assert direct["customer"]["archiveReason"] == "first"

    async def test_unknown_customer_is_not_found(self, gql: GraphQLClient, tenant: Tenant) -> None:
        payload = await archive(gql, tenant.token, "01a20408-0000-7000-8000-000000000000", "x")
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]

    async def test_writes_an_audit_event_with_the_reason(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, email="ann@example.com")
        await archive(gql, tenant.token, customer["id"], "asked by the shopper")
        events = await audit_events(gql, tenant.token, customer["id"])
        assert [
            (e["action"], e["subjectType"], e["details"], e["actorKind"], e["actorId"])
            for e in events
        ] == [
            (
                "CUSTOMER_ARCHIVED",
                "customer",
                {"reason": "asked by the shopper"},
                "STAFF",
                str(tenant.owner_id),
            )
        ]


class TestArchivedCustomers:
    async def test_shows_one_contact_phone_first_and_no_names(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        both = await create_customer(
            gql,
            tenant.token,
            firstName="Both",
            lastName="Contacts",
            email="both@example.com",
            phone="(202) 555-0143",
        )
        email_only = await create_customer(
            gql, tenant.token, firstName="Email", lastName="Only", email="only@example.com"
        )
        neither = await create_customer(gql, tenant.token, firstName="No", lastName="Contact")
        active = await create_customer(gql, tenant.token, phone="2025550199")
        for customer in (both, email_only, neither):
            await archive(gql, tenant.token, customer["id"], "cleanup")

        data = await gql.data(ARCHIVED, token=tenant.token)
        nodes = data["archivedCustomers"]["nodes"]
        assert [(n["id"], n["contact"], n["contactKind"], n["archiveReason"]) for n in nodes] == [
            (both["id"], "+12025550143", "PHONE", "cleanup"),
            (email_only["id"], "only@example.com", "EMAIL", "cleanup"),
            (neither["id"], None, "NONE", "cleanup"),
        ]
        assert active["id"] not in str(nodes)
        for name in ("Both", "Contacts", "Email", "Only"):
            assert name not in str(nodes)

    async def test_the_type_has_no_field_for_names_or_a_second_contact(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        data = await gql.data(
            '{ __type(name: "ArchivedCustomer") { fields { name } } }', token=tenant.token
        )
        fields = {f["name"] for f in data["__type"]["fields"]}
        assert fields == {"id", "contact", "contactKind", "archivedAt", "archiveReason"}


class TestCustomerUnarchive:
    async def test_restores_the_customer(self, gql: GraphQLClient, tenant: Tenant) -> None:
        customer = await create_customer(gql, tenant.token, email="back@example.com")
        await archive(gql, tenant.token, customer["id"], "mistake?")
        data = await gql.data(UNARCHIVE, {"id": customer["id"]}, tenant.token)
        assert data["customerUnarchive"] == {
            "customer": {
                "id": customer["id"],
                "status": "ACTIVE",
                "archivedAt": None,
                "archiveReason": None,
            },
            "errors": [],
        }
        assert await listed_ids(gql, tenant.token, search="back@example.com") == [customer["id"]]
        archived = await gql.data(ARCHIVED, token=tenant.token)
        assert archived["archivedCustomers"]["nodes"] == []

    async def test_an_active_customer_is_not_archived(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        data = await gql.data(UNARCHIVE, {"id": customer["id"]}, tenant.token)
        assert data["customerUnarchive"]["customer"] is None
        assert [e["code"] for e in data["customerUnarchive"]["errors"]] == ["NOT_ARCHIVED"]

    async def test_writes_an_audit_event(self, gql: GraphQLClient, tenant: Tenant) -> None:
        customer = await create_customer(gql, tenant.token, firstName="Ann")
        await archive(gql, tenant.token, customer["id"], "moved away")
        await gql.data(UNARCHIVE, {"id": customer["id"]}, tenant.token)
        events = await audit_events(gql, tenant.token, customer["id"])
        assert [(e["action"], e["details"]) for e in events] == [
            ("CUSTOMER_UNARCHIVED", {}),
            ("CUSTOMER_ARCHIVED", {"reason": "moved away"}),
        ]
