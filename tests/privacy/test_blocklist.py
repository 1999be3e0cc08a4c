"""The privacy blocklist: keyed digests only, and a blocked identifier hides the whole
customer on every path (lookups, search, lists, POS wallet, creation, updates, imports)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tortoise import connections

from app.auth.principal import Principal
from app.config import Settings
from app.core import blocklist
from app.core.blocklist import IdentifierKind, Keyring
from app.core.errors import DomainError
from app.customers.repository import visibility
from app.models.audit import AuditAction, AuditEvent
from app.models.customer import Customer
from app.models.imports import ImportKind
from app.models.privacy import BlocklistEntry, BlockReason
from app.privacy import service as privacy
from tests.conftest import TEST_BLOCKLIST_KEYS, GraphQLClient, Tenant
from tests.factories import CUSTOMER_CREATE, create_customer, owner_of
from tests.imports.helpers import counts, csv_text, import_file, row_errors
from tests.wallets.helpers import new_customer

EMAIL = "canary.blocked@example.com"
PHONE = "+12025550188"

LOOKUP = """
query($id: ID, $email: String, $phone: String) {
  customer(id: $id, email: $email, phone: $phone) { id }
}"""
SEARCH = "query($s: String) { customers(search: $s) { nodes { id } totalCount } }"
WALLET = """
query($id: ID, $email: String, $phone: String) {
  wallet(customerId: $id, email: $email, phone: $phone) { balance }
}"""
UPDATE = """
mutation($id: ID!, $input: CustomerFieldsInput!) {
  customerUpdate(id: $id, input: $input) { customer { id } errors { field code message } }
}"""


async def block(tenant: Tenant, **identifiers: list[str]) -> None:
    await privacy.block_identifiers(owner_of(tenant), reason=BlockReason.OPTED_OUT, **identifiers)


@pytest.fixture
def rotated_keys() -> Iterator[None]:
    """Restore the test keyring after a test that installs others."""
    yield
    blocklist.install_keys(TEST_BLOCKLIST_KEYS)


class TestDigests:
    async def test_entries_hold_a_keyed_digest_never_the_identifier(self, tenant: Tenant) -> None:
        await block(tenant, emails=[" Canary.Blocked@Example.com "], phones=["(202) 555-0188"])
        entries = await BlocklistEntry.filter(organization_id=tenant.organization_id)
        ring = blocklist.keyring()
        org = tenant.organization_id
        assert sorted(e.digest for e in entries) == sorted(
            [
                ring.current_digest(org, IdentifierKind.EMAIL, EMAIL),
                ring.current_digest(org, IdentifierKind.PHONE, PHONE),
            ]
        )
        assert {e.key_version for e in entries} == {1}
        conn = connections.get("default")
        _, rows = await conn.execute_query("SELECT * FROM blocklist_entry")
        dumped = repr([dict(r) for r in rows])
        for plain in (EMAIL, PHONE, "2025550188", "canary"):
            assert plain not in dumped

    async def test_blocking_twice_changes_nothing(self, tenant: Tenant) -> None:
        await block(tenant, emails=[EMAIL])
        await block(tenant, emails=[EMAIL.upper()])
        assert await BlocklistEntry.filter(organization_id=tenant.organization_id).count() == 1

    async def test_digests_differ_between_organizations(
        self, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        await block(tenant, emails=[EMAIL])
        await block(other_tenant, emails=[EMAIL])
        digests = [e.digest for e in await BlocklistEntry.all()]
        assert len(set(digests)) == 2
        # And the block of one organization is not the other's.
        third = await new_customer(owner_of(tenant), email="free@example.com")
        assert not await visibility.identifier_blocked(
            tenant.organization_id, "email", "free@example.com"
        )
        assert third.blocked is False

    async def test_refuses_an_invalid_identifier_without_echoing_it(self, tenant: Tenant) -> None:
        with pytest.raises(DomainError) as caught:
            await block(tenant, emails=["not-an-email-canary"])
        assert "canary" not in caught.value.message

    async def test_the_audit_entry_counts_and_names_no_identifier(self, tenant: Tenant) -> None:
        await new_customer(owner_of(tenant), email=EMAIL)
        await block(tenant, emails=[EMAIL], phones=[PHONE])
        event = await AuditEvent.get(
            organization_id=tenant.organization_id, action=AuditAction.IDENTIFIERS_BLOCKED
        )
        assert event.details == {
            "reason": "OPTED_OUT",
            "emails": 1,
            "phones": 1,
            "customersHidden": 1,
        }


class TestHiding:
    async def test_a_blocked_email_hides_the_customer_everywhere(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        token = tenant.token
        customer = await create_customer(
            gql, token, firstName="Canary", lastName="Bird", email=EMAIL, phone=PHONE
        )
        other = await create_customer(gql, token, firstName="Canary", lastName="Other")
        await block(tenant, emails=[EMAIL])

        for variables in ({"id": customer["id"]}, {"email": EMAIL}, {"phone": PHONE}):
            data = await gql.data(LOOKUP, variables, token)
            assert data["customer"] is None, variables
        for term in (EMAIL, PHONE, "Canary", customer["id"]):
            found = await gql.data(SEARCH, {"s": term}, token)
            ids = [n["id"] for n in found["customers"]["nodes"]]
            assert customer["id"] not in ids, term
        everyone = await gql.data(SEARCH, {"s": None}, token)
        assert [n["id"] for n in everyone["customers"]["nodes"]] == [other["id"]]
        assert everyone["customers"]["totalCount"] == 1
        # The POS gets one clear refusal, whichever key it used.
        for variables in ({"id": customer["id"]}, {"email": EMAIL}, {"phone": PHONE}):
            assert await gql.error_codes(WALLET, variables, token) == ["CUSTOMER_UNAVAILABLE"]

    async def test_an_archived_blocked_customer_leaves_the_archived_list(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, email=EMAIL)
        done = await gql.data(
            'mutation($id: ID!) { customerArchive(id: $id, reason: "dup") { errors { code } } }',
            {"id": customer["id"]},
            tenant.token,
        )
        assert done["customerArchive"]["errors"] == []
        archived = "{ archivedCustomers { nodes { id } totalCount } }"
        assert (await gql.data(archived, token=tenant.token))["archivedCustomers"][
            "totalCount"
        ] == 1
        await block(tenant, emails=[EMAIL])
        listed = await gql.data(archived, token=tenant.token)
        assert listed["archivedCustomers"] == {"nodes": [], "totalCount": 0}

    async def test_a_blocked_identifier_cannot_be_given_to_a_customer(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await block(tenant, emails=[EMAIL], phones=[PHONE])
        body = await gql.data(
            CUSTOMER_CREATE,
            {"input": {"email": EMAIL.upper(), "phone": "202-555-0188"}},
            tenant.token,
        )
        errors = body["customerCreate"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [
            ("email", "IDENTIFIER_UNAVAILABLE"),
            ("phone", "IDENTIFIER_UNAVAILABLE"),
        ]
        assert all("canary" not in e["message"] and "0188" not in e["message"] for e in errors)
        assert body["customerCreate"]["customer"] is None
        existing = await create_customer(gql, tenant.token, email="someone@example.com")
        updated = await gql.data(
            UPDATE, {"id": existing["id"], "input": {"email": EMAIL}}, tenant.token
        )
        assert [e["code"] for e in updated["customerUpdate"]["errors"]] == [
            "IDENTIFIER_UNAVAILABLE"
        ]
        assert await Customer.filter(organization_id=tenant.organization_id).count() == 1

    async def test_a_blocked_identifier_nobody_holds_is_unavailable_at_the_till(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await block(tenant, phones=[PHONE])
        codes = await gql.error_codes(WALLET, {"phone": "(202) 555-0188"}, tenant.token)
        assert codes == ["CUSTOMER_UNAVAILABLE"]
        unknown = await gql.data(WALLET, {"phone": "(202) 555-0189"}, tenant.token)
        assert unknown["wallet"] is None


class TestImports:
    async def test_rows_with_a_blocked_identifier_are_only_counted(
        self, tenant: Tenant, settings: Settings
    ) -> None:
        principal = owner_of(tenant)
        hidden = await new_customer(principal, email="held@example.com", external_reference="r-9")
        await block(tenant, emails=[EMAIL, "held@example.com"])
        content = csv_text(
            "email,first_name,external_reference",
            f"{EMAIL},Canary,r-1",
            "fresh@example.com,Fresh,r-2",
            "other@example.com,Hidden by reference,r-9",
        )
        job = await import_file(principal, settings, content, dry_run=False)
        assert counts(job)["suppressed"] == 2
        assert counts(job)["created"] == 1
        assert await row_errors(job) == []
        emails = {c.email for c in await Customer.filter(organization_id=tenant.organization_id)}
        assert emails == {"held@example.com", "fresh@example.com"}
        assert (await Customer.get(id=hidden.id)).first_name == ""

    async def test_orders_of_a_blocked_customer_are_suppressed(
        self, tenant: Tenant, settings: Settings
    ) -> None:
        principal = owner_of(tenant)
        await new_customer(principal, email="buyer@example.com", external_reference="b-1")
        await new_customer(principal, email=EMAIL, external_reference="b-2")
        await block(tenant, emails=[EMAIL])
        content = csv_text(
            "external_reference,receipt_number,placed_at,total",
            "b-1,R-1,2026-01-02,10.00",
            "b-2,R-2,2026-01-02,12.00",
        )
        job = await import_file(
            principal, settings, content, kind=ImportKind.ORDERS, file_name="orders.csv"
        )
        assert (counts(job)["created"], counts(job)["suppressed"]) == (1, 1)
        assert await row_errors(job) == []


class TestRekey:
    async def test_rotation_checks_two_versions_and_rekey_lifts_every_entry(
        self, tenant: Tenant, rotated_keys: None
    ) -> None:
        org = tenant.organization_id
        await block(tenant, emails=[EMAIL])
        (old_digest,) = [e.digest for e in await BlocklistEntry.filter(organization_id=org)]
        # A second key version is configured: lookups see entries of both versions.
        rotated = (*TEST_BLOCKLIST_KEYS, (2, "second-blocklist-key-" + "c" * 32))
        blocklist.install_keys(rotated)
        assert await visibility.identifier_blocked(org, "email", EMAIL)
        await block(tenant, phones=[PHONE])
        versions = [e.key_version for e in await BlocklistEntry.filter(organization_id=org)]
        assert sorted(versions) == [1, 2]

        result = await privacy.rekey(Principal.system(uuid.UUID(int=0)))
        assert (result.version, result.rekeyed) == (2, 1)
        entries = await BlocklistEntry.filter(organization_id=org)
        assert {e.key_version for e in entries} == {2}
        assert old_digest not in {e.digest for e in entries}
        ring = Keyring.of(rotated)
        assert ring.current_digest(org, IdentifierKind.EMAIL, EMAIL) in {e.digest for e in entries}
        assert await visibility.identifier_blocked(org, "email", EMAIL)
        assert await visibility.identifier_blocked(org, "phone", PHONE)
        # Running it again finds nothing left to do.
        again = await privacy.rekey(Principal.system(uuid.UUID(int=0)))
        assert again.rekeyed == 0
        audited = [
            e.details
            for e in await AuditEvent.filter(
                organization_id=org, action=AuditAction.BLOCKLIST_REKEYED
            )
        ]
        assert audited == [{"entries": 1, "keyVersion": 2}]

    async def test_a_key_not_configured_finds_nothing(
        self, tenant: Tenant, rotated_keys: None
    ) -> None:
        await block(tenant, emails=[EMAIL])
        blocklist.install_keys(((1, "an-unrelated-blocklist-key-" + "d" * 32),))
        assert not await visibility.identifier_blocked(tenant.organization_id, "email", EMAIL)
