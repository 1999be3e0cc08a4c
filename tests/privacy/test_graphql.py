"""`identifierStatus`: what support staff may learn about one email or phone, permission-checked,
limited per credential, audited without the identifier; and the proof that no log line,
error or GraphQL answer of the privacy paths carries the identifier itself."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from app.auth.permissions import ApiKeyScope
from app.config import Settings
from app.models.audit import AuditAction, AuditEvent
from app.models.customer import Customer, CustomerStatus
from app.models.privacy import BlockReason
from app.models.staff import Role
from app.privacy import service as privacy
from tests.conftest import GraphQLClient, Tenant
from tests.factories import (
    CUSTOMER_CREATE,
    add_api_key,
    add_staff,
    audit_events,
    create_customer,
    owner_of,
)
from tests.imports.helpers import csv_text, import_file

STATUS = """
query($email: String, $phone: String) {
  identifierStatus(email: $email, phone: $phone) { status survivorId }
}"""

CANARY_EMAIL = "zelda.canary@example.com"
CANARY_PHONE = "+12025550123"
CANARY_NAME = "Zeldacanary"


async def status_of(gql: GraphQLClient, token: str, **identifier: str) -> dict[str, Any]:
    data = await gql.data(STATUS, identifier, token)
    answer: dict[str, Any] = data["identifierStatus"]
    return answer


async def block(tenant: Tenant, reason: BlockReason, **identifiers: list[str]) -> None:
    await privacy.block_identifiers(owner_of(tenant), reason=reason, **identifiers)


class TestAnswers:
    async def test_each_state_of_an_identifier(self, gql: GraphQLClient, tenant: Tenant) -> None:
        token = tenant.token
        active = await create_customer(gql, token, email="active@example.com", phone=CANARY_PHONE)
        archived = await create_customer(gql, token, email="archived@example.com")
        done = await gql.data(
            'mutation($id: ID!) { customerArchive(id: $id, reason: "dup") { errors { code } } }',
            {"id": archived["id"]},
            token,
        )
        assert done["customerArchive"]["errors"] == []
        merged = await create_customer(gql, token, email="merged@example.com")
        await Customer.filter(id=merged["id"]).update(
            status=CustomerStatus.MERGED, merged_into_id=active["id"]
        )
        await create_customer(gql, token, email="opted.out@example.com", phone="+12025550124")
        await block(tenant, BlockReason.OPTED_OUT, emails=["opted.out@example.com"])
        await block(tenant, BlockReason.ERASED, emails=["erased@example.com"])

        expected = [
            ({"email": "nobody@example.com"}, "NOT_FOUND", None),
            ({"email": " Active@Example.com "}, "ACTIVE", None),
            ({"phone": "(202) 555-0123"}, "ACTIVE", None),
            ({"email": "archived@example.com"}, "ARCHIVED", None),
            ({"email": "merged@example.com"}, "MERGED", active["id"]),
            ({"email": "opted.out@example.com"}, "BLOCKED", None),
            # The customer's other identifier leads to a blocked customer: the same answer.
            ({"phone": "+1 202 555 0124"}, "BLOCKED", None),
            ({"email": "erased@example.com"}, "ERASED", None),
        ]
        for identifier, status, survivor in expected:
            answer = await status_of(gql, token, **identifier)
            assert answer == {"status": status, "survivorId": survivor}, identifier

    async def test_exactly_one_valid_identifier_is_asked_for(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        for variables in (
            {},
            {"email": "a@example.com", "phone": "2025550123"},
            {"email": "not-an-email-zelda"},
            {"phone": "12"},
        ):
            body = await gql.raw(STATUS, variables, tenant.token)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_ARGUMENT"]
            assert "zelda" not in json.dumps(body)

    async def test_audited_by_pseudonym_without_the_identifier(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        await status_of(gql, tenant.token, email=CANARY_EMAIL)
        await status_of(gql, tenant.token, email=CANARY_EMAIL.upper())
        await status_of(gql, tenant.token, email="someone.else@example.com")
        events = [
            e
            for e in await audit_events(gql, tenant.token)
            if e["action"] == AuditAction.IDENTIFIER_STATUS_CHECKED.value
        ]
        assert [e["details"] for e in events] == [{"kind": "EMAIL", "answer": "NOT_FOUND"}] * 3
        assert {e["actorId"] for e in events} == {str(tenant.owner_id)}
        # One identifier, one pseudonym, however it was typed; another gets another.
        subjects = [e["subjectId"] for e in events]
        assert subjects[1] == subjects[2] != subjects[0]
        assert "zelda" not in json.dumps(events)


class TestAccess:
    async def test_support_roles_only(self, gql: GraphQLClient, tenant: Tenant) -> None:
        allowed = {Role.OWNER, Role.MANAGER, Role.OPERATOR}
        for role in Role:
            member = await add_staff(tenant, role)
            codes = await gql.error_codes(STATUS, {"email": CANARY_EMAIL}, member.token)
            assert codes == ([] if role in allowed else ["FORBIDDEN"]), role
        key = await add_api_key(tenant, *ApiKeyScope)
        assert await gql.error_codes(STATUS, {"email": CANARY_EMAIL}, key.secret) == ["FORBIDDEN"]
        assert await gql.error_codes(STATUS, {"email": CANARY_EMAIL}) == ["UNAUTHENTICATED"]

    async def test_limited_per_credential(self, gql: GraphQLClient, tenant: Tenant) -> None:
        operator = await add_staff(tenant, Role.OPERATOR)
        for _ in range(30):
            await status_of(gql, operator.token, email=CANARY_EMAIL)
        body = await gql.raw(STATUS, {"email": CANARY_EMAIL}, operator.token)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
        # Another credential has its own allowance; refused checks are not audited.
        await status_of(gql, tenant.token, email=CANARY_EMAIL)
        checked = await AuditEvent.filter(
            organization_id=tenant.organization_id, action=AuditAction.IDENTIFIER_STATUS_CHECKED
        ).count()
        assert checked == 31


class TestNoPlaintext:
    async def test_logs_errors_and_answers_never_hold_the_identifier(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="app")
        caplog.set_level(logging.DEBUG, logger="workers")
        token = tenant.token
        answers: list[Any] = []
        customer = await create_customer(
            gql, token, firstName=CANARY_NAME, email=CANARY_EMAIL, phone=CANARY_PHONE
        )
        await block(tenant, BlockReason.ERASED, emails=[CANARY_EMAIL], phones=[CANARY_PHONE])
        for identifier in ({"email": CANARY_EMAIL}, {"phone": CANARY_PHONE}):
            answers.append(await gql.raw(STATUS, identifier, token))
            answers.append(
                await gql.raw(
                    "query($email: String, $phone: String) {"
                    " wallet(email: $email, phone: $phone) { balance } }",
                    identifier,
                    token,
                )
            )
            answers.append(
                await gql.raw(
                    "query($email: String, $phone: String) {"
                    " customer(email: $email, phone: $phone) { id } }",
                    identifier,
                    token,
                )
            )
        answers.append(
            await gql.raw(
                "query($id: ID) { wallet(customerId: $id) { balance } }",
                {"id": customer["id"]},
                token,
            )
        )
        answers.append(
            await gql.raw(
                CUSTOMER_CREATE,
                {"input": {"firstName": "Again", "email": CANARY_EMAIL, "phone": CANARY_PHONE}},
                token,
            )
        )
        job = await import_file(
            owner_of(tenant),
            settings,
            csv_text("email,phone,first_name", f"{CANARY_EMAIL},{CANARY_PHONE},{CANARY_NAME}"),
        )
        assert job.suppressed_count == 1
        answers.append(await audit_events(gql, token))

        codes = [e["extensions"]["code"] for a in answers[:-1] for e in a.get("errors", [])]
        assert "CUSTOMER_UNAVAILABLE" in codes
        text = json.dumps(answers) + caplog.text
        details = json.dumps([e.details for e in await AuditEvent.all()])
        for plain in (CANARY_EMAIL, CANARY_PHONE, "2025550123", CANARY_NAME.lower()):
            assert plain not in text.lower(), plain
            assert plain not in details.lower(), plain
