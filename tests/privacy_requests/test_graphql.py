"""Privacy requests through GraphQL: staff file an erasure, export or opt-out; a real worker
carries it out; what is removed, what is kept, and who may download an export."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import httpx
from arq.connections import ArqRedis

from app.config import Settings
from app.core.clock import advanced
from app.models.audit import AuditEvent
from app.models.consent import ConsentEvent
from app.models.customer import Customer, CustomerStatus
from app.models.order import Order
from app.models.persona import PersonaAssignment, PersonaSet, PersonaSetStatus
from app.models.privacy_request import PrivacyRequest
from app.models.staff import Role
from app.models.wallet import LedgerEntry, LedgerKind
from tests.burst_worker import run_worker
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_staff, create_customer

CREATE = """
mutation($input: PrivacyRequestCreateInput!) {
  privacyRequestCreate(input: $input) {
    privacyRequest { id kind status source customerId requestedById reason dueAt overdue steps
                     exportReady }
    errors { field code message }
  }
}"""
ONE = """
query($id: ID!) {
  privacyRequest(id: $id) {
    id status steps completedAt errorCode exportReady exportExpiresAt overdue
  }
}"""
LIST = """
query($status: PrivacyRequestStatus, $overdue: Boolean!) {
  privacyRequests(status: $status, overdue: $overdue) { nodes { id kind status } totalCount }
}"""
LINK = """
mutation($id: ID!) {
  privacyExportLink(requestId: $id) { link { url expiresAt } errors { code message } }
}"""
ORDER = """
mutation($input: OrderRecordInput!) { orderRecord(input: $input) { order { id } errors { code } } }
"""
EARN = """
mutation($id: ID!) {
  walletEarn(customerId: $id, points: 120, reason: "welcome", idempotencyKey: "k1") {
    errors { code }
  }
}"""
LOOKUP = "query($email: String) { customer(email: $email) { id } }"

CANARY = {
    "firstName": "Zebulon",
    "lastName": "Quaxworthy",
    "email": "zebulon.quaxworthy@example.org",
    "phone": "(202) 555-0199",
    "externalReference": "canary-ref-77",
    "birthday": "1980-02-29",
    "address": {"city": "Canaryville", "postalCode": "99501", "country": "US"},
    "traits": {"shoeSize": "44", "nickname": "Zeb"},
    "emailOptIn": True,
}


async def file(gql: GraphQLClient, token: str, **input_fields: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": input_fields}, token)
    payload: dict[str, Any] = data["privacyRequestCreate"]
    return payload


async def canary_with_history(gql: GraphQLClient, token: str) -> dict[str, Any]:
    customer = await create_customer(gql, token, **CANARY)
    order = await gql.data(
        ORDER,
        {
            "input": {
                "customerId": customer["id"],
                "receiptNumber": "R-1",
                "total": "30.00",
                "placedAt": "2026-03-01T10:00:00Z",
                "items": [{"sku": "tea", "price": "30.00"}],
            }
        },
        token,
    )
    assert order["orderRecord"]["errors"] == []
    assert (await gql.data(EARN, {"id": customer["id"]}, token))["walletEarn"]["errors"] == []
    return customer


async def request_status(gql: GraphQLClient, token: str, request_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await gql.data(ONE, {"id": request_id}, token))["privacyRequest"]
    return found


class TestErasure:
    async def test_a_real_worker_erases_identity_and_keeps_accounting(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        customer = await canary_with_history(gql, tenant.token)
        other = await create_customer(gql, tenant.token, email="bystander@example.org")
        persona_set = await PersonaSet.create(
            organization_id=tenant.organization_id, status=PersonaSetStatus.READY, is_current=True
        )
        for someone in (customer, other):
            await PersonaAssignment.create(
                persona_set_id=persona_set.id,
                customer_id=someone["id"],
                persona_identity_id=uuid.uuid4(),
            )
        payload = await file(
            gql, tenant.token, kind="ERASE", email=" Zebulon.Quaxworthy@EXAMPLE.org ",
            reason="asked by phone",
        )  # fmt: skip
        assert payload["errors"] == []
        request = payload["privacyRequest"]
        assert request["status"] == "VERIFIED"
        assert request["customerId"] == customer["id"]
        assert request["requestedById"] == str(tenant.owner_id)
        assert request["overdue"] is False
        due = dt.datetime.fromisoformat(request["dueAt"])
        assert dt.timedelta(days=29) < due - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
        # The job went to the queue after the commit, carrying ids only.
        queued = [
            j for j in await arq_redis.queued_jobs() if j.job_id == f"privacy:{request['id']}"
        ]
        assert len(queued) == 1
        assert queued[0].args == (str(tenant.organization_id), request["id"])

        assert await run_worker(settings, redis_url) >= 1

        done = await request_status(gql, tenant.token, request["id"])
        assert done["status"] == "DONE"
        assert done["completedAt"] is not None
        assert "identity removed" in done["steps"]
        row = await Customer.get(id=customer["id"])
        assert row.status is CustomerStatus.ERASED
        assert (row.email, row.phone, row.external_reference) == (None, None, None)
        assert (row.first_name, row.last_name, row.birthday, row.city) == ("", "", None, None)
        assert row.traits == {}
        assert (row.points_balance, row.lifetime_points, row.email_opt_in) == (0, 0, False)
        # Accounting stays: the order without its customer, the ledger with an ERASE entry.
        orders = await Order.filter(receipt_number="R-1", organization_id=tenant.organization_id)
        assert len(orders) == 1
        assert orders[0].customer_id is None
        entries = await LedgerEntry.filter(customer_id=customer["id"]).order_by("created_at")
        assert sum(e.points for e in entries) == 0
        erase = [e for e in entries if e.kind is LedgerKind.ERASE]
        assert len(erase) == 1
        assert erase[0].points < 0
        # The ERASE entry consumed every lot.
        assert all(e.remaining == 0 for e in entries)
        assert all(e.text is None for e in await ConsentEvent.filter(customer_id=customer["id"]))
        # Nobody finds the customer by its old identifiers any more.
        found = await gql.data(LOOKUP, {"email": CANARY["email"]}, tenant.token)
        assert found["customer"] is None
        # The audit entries say what happened and hold no identifier.
        events = await AuditEvent.filter(organization_id=tenant.organization_id)
        text = json.dumps([e.details for e in events])
        assert "CUSTOMER_ERASED" in {e.action.value for e in events}
        for value in ("zebulon", "quaxworthy", "555-0199", "5550199", "canary-ref"):
            assert value not in text.lower()
        # The bystander is untouched, persona assignment included.
        assert (await Customer.get(id=other["id"])).email == "bystander@example.org"
        assigned = await PersonaAssignment.filter(persona_set_id=persona_set.id).values_list(
            "customer_id", flat=True
        )
        assert [str(c) for c in assigned] == [other["id"]]

    async def test_carrying_out_twice_erases_once(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        from app.auth.principal import Principal
        from app.privacy_requests.service import run_request

        customer = await canary_with_history(gql, tenant.token)
        request = (await file(gql, tenant.token, kind="ERASE", customerId=customer["id"]))[
            "privacyRequest"
        ]
        principal = Principal.system(tenant.organization_id)
        assert await run_request(principal, settings, uuid.UUID(request["id"])) == "DONE"
        assert await run_request(principal, settings, uuid.UUID(request["id"])) == "DONE"
        erase = await LedgerEntry.filter(customer_id=customer["id"], kind=LedgerKind.ERASE)
        assert len(erase) == 1
        audited = await AuditEvent.filter(subject_id=customer["id"], action="CUSTOMER_ERASED")
        assert len(audited) == 1

    async def test_customers_merged_into_it_are_erased_too(
        self, gql: GraphQLClient, tenant: Tenant, settings: Settings
    ) -> None:
        from app.auth.principal import Principal
        from app.privacy_requests.service import run_request

        survivor = await create_customer(gql, tenant.token, email="survivor@example.org")
        folded = await create_customer(gql, tenant.token, firstName="Folded", lastName="Twin")
        folded_twice = await create_customer(gql, tenant.token, firstName="Older", lastName="Twin")
        # A chain: folded_twice -> folded -> survivor (as merges leave it).
        await Customer.filter(id=folded["id"]).update(
            status=CustomerStatus.MERGED, merged_into_id=survivor["id"]
        )
        await Customer.filter(id=folded_twice["id"]).update(
            status=CustomerStatus.MERGED, merged_into_id=folded["id"]
        )
        request = (await file(gql, tenant.token, kind="ERASE", customerId=survivor["id"]))[
            "privacyRequest"
        ]
        await run_request(
            Principal.system(tenant.organization_id), settings, uuid.UUID(request["id"])
        )
        for customer_id in (survivor["id"], folded["id"], folded_twice["id"]):
            row = await Customer.get(id=customer_id)
            assert row.status is CustomerStatus.ERASED
            assert (row.first_name, row.last_name, row.email) == ("", "", None)
        steps = (await request_status(gql, tenant.token, request["id"]))["steps"]
        assert "2 merged customer(s) erased" in steps


class TestExport:
    async def test_the_requester_downloads_the_export_once(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        http: httpx.AsyncClient,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        customer = await canary_with_history(gql, tenant.token)
        # Archived customers are exported like any other.
        archived = await gql.data(
            'mutation($id: ID!) { customerArchive(id: $id, reason: "moved") { errors { code } } }',
            {"id": customer["id"]},
            tenant.token,
        )
        assert archived["customerArchive"]["errors"] == []
        request = (await file(gql, tenant.token, kind="EXPORT", phone="+1 202 555 0199"))[
            "privacyRequest"
        ]
        assert await run_worker(settings, redis_url) >= 1
        done = await request_status(gql, tenant.token, request["id"])
        assert done["status"] == "DONE"
        assert done["exportReady"] is True

        manager = await add_staff(tenant, Role.MANAGER)
        refused = await gql.data(LINK, {"id": request["id"]}, manager.token)
        assert [e["code"] for e in refused["privacyExportLink"]["errors"]] == ["EXPORT_UNAVAILABLE"]
        link = (await gql.data(LINK, {"id": request["id"]}, tenant.token))["privacyExportLink"]
        assert link["errors"] == []
        url = link["link"]["url"]
        assert url.startswith("/privacy/exports/")
        assert "@" not in url
        assert "555" not in url

        response = await http.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
        document = response.json()
        assert document["customer"]["id"] == customer["id"]
        assert document["customer"]["email"] == CANARY["email"]
        assert document["customer"]["traits"] == CANARY["traits"]
        assert [o["receiptNumber"] for o in document["orders"]] == ["R-1"]
        assert document["orders"][0]["items"][0]["sku"] == "tea"
        balance = document["customer"]["pointsBalance"]
        assert sum(e["points"] for e in document["ledger"]) == balance >= 120
        assert {c["channel"] for c in document["consents"]} >= {"EMAIL"}
        assert [a["action"] for a in document["auditTrail"]] == ["CUSTOMER_ARCHIVED"]
        assert document["merges"] == []
        assert document["customer"]["status"] == "ARCHIVED"

        again = await http.get(url)
        assert again.status_code == 404
        assert not list(settings.exports_root.glob("*.json"))
        after = await request_status(gql, tenant.token, request["id"])
        assert after["exportReady"] is False

    async def test_an_unknown_or_expired_link_gets_the_same_answer(
        self,
        gql: GraphQLClient,
        tenant: Tenant,
        http: httpx.AsyncClient,
        settings: Settings,
        redis_url: str,
        arq_redis: ArqRedis,
    ) -> None:
        customer = await canary_with_history(gql, tenant.token)
        request = (await file(gql, tenant.token, kind="EXPORT", customerId=customer["id"]))[
            "privacyRequest"
        ]
        assert await run_worker(settings, redis_url) >= 1
        url = (await gql.data(LINK, {"id": request["id"]}, tenant.token))["privacyExportLink"][
            "link"
        ]["url"]
        unknown = await http.get("/privacy/exports/not-a-real-token")
        with advanced(dt.timedelta(hours=settings.export_link_hours, minutes=1)):
            expired = await http.get(url)
        assert unknown.status_code == expired.status_code == 404
        assert unknown.json() == expired.json()


class TestOptOut:
    async def test_withdraws_consent_with_evidence_and_nothing_else(
        self, gql: GraphQLClient, tenant: Tenant, settings: Settings
    ) -> None:
        from app.auth.principal import Principal
        from app.privacy_requests.service import run_request

        customer = await canary_with_history(gql, tenant.token)
        await Customer.filter(id=customer["id"]).update(sms_state="SUBSCRIBED")
        before = await Customer.get(id=customer["id"])
        request = (await file(gql, tenant.token, kind="OPT_OUT", customerId=customer["id"]))[
            "privacyRequest"
        ]
        await run_request(
            Principal.system(tenant.organization_id), settings, uuid.UUID(request["id"])
        )
        after = await Customer.get(id=customer["id"])
        assert (after.email_opt_in, after.sms_state.value) == (False, "UNSUBSCRIBED")
        assert (after.email, after.first_name, after.points_balance) == (
            before.email,
            before.first_name,
            before.points_balance,
        )
        events = await ConsentEvent.filter(customer_id=customer["id"]).order_by("created_at")
        assert [(e.channel.value, e.state) for e in events[-2:]] == [
            ("EMAIL", "OPTED_OUT"),
            ("SMS", "UNSUBSCRIBED"),
        ]


class TestRefusals:
    async def test_typed_errors_that_never_repeat_the_identifier(
        self, gql: GraphQLClient, tenant: Tenant, settings: Settings
    ) -> None:
        from app.auth.principal import Principal
        from app.privacy_requests.service import run_request

        customer = await create_customer(gql, tenant.token, email="known@example.org")
        cases: list[tuple[dict[str, Any], str]] = [
            ({"kind": "ERASE"}, "INVALID"),
            (
                {"kind": "ERASE", "email": "known@example.org", "customerId": customer["id"]},
                "INVALID",
            ),
            ({"kind": "ERASE", "email": "nobody-here@example.org"}, "NOT_FOUND"),
            ({"kind": "ERASE", "email": "not an email"}, "INVALID_EMAIL"),
            ({"kind": "ERASE", "phone": "12"}, "INVALID_PHONE"),
            ({"kind": "ERASE", "customerId": str(uuid.uuid4())}, "NOT_FOUND"),
        ]
        for fields, code in cases:
            payload = await file(gql, tenant.token, **fields)
            assert [e["code"] for e in payload["errors"]] == [code], fields
            message = json.dumps(payload["errors"])
            assert "nobody-here" not in message
            assert "not an email" not in message

        first = await file(gql, tenant.token, kind="ERASE", customerId=customer["id"])
        again = await file(gql, tenant.token, kind="ERASE", email="known@example.org")
        assert [e["code"] for e in again["errors"]] == ["ALREADY_REQUESTED"]
        await run_request(
            Principal.system(tenant.organization_id),
            settings,
            uuid.UUID(first["privacyRequest"]["id"]),
        )
        erased = await file(gql, tenant.token, kind="EXPORT", customerId=customer["id"])
        assert [e["code"] for e in erased["errors"]] == ["ERASED"]

        too_long = await gql.raw(
            CREATE, {"input": {"kind": "ERASE", "reason": "x" * 501}}, tenant.token
        )
        assert too_long["errors"][0]["extensions"]["code"] == "VALUE_TOO_LONG"

    async def test_only_roles_with_the_privacy_permission(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        customer = await create_customer(gql, tenant.token, email="known@example.org")
        analyst = await add_staff(tenant, Role.ANALYST)
        body = await gql.raw(
            CREATE, {"input": {"kind": "ERASE", "customerId": customer["id"]}}, analyst.token
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        listing = await gql.raw(LIST, {"overdue": False}, analyst.token)
        assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await PrivacyRequest.all().count() == 0


class TestListing:
    async def test_overdue_requests_are_listed_past_their_deadline(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        one = await create_customer(gql, tenant.token, email="one@example.org")
        two = await create_customer(gql, tenant.token, email="two@example.org")
        first = (await file(gql, tenant.token, kind="EXPORT", customerId=one["id"]))[
            "privacyRequest"
        ]
        second = (await file(gql, tenant.token, kind="ERASE", customerId=two["id"]))[
            "privacyRequest"
        ]
        listed = await gql.data(LIST, {"overdue": False}, tenant.token)
        assert [n["id"] for n in listed["privacyRequests"]["nodes"]] == [second["id"], first["id"]]
        assert listed["privacyRequests"]["totalCount"] == 2
        assert (await gql.data(LIST, {"overdue": True}, tenant.token))["privacyRequests"][
            "totalCount"
        ] == 0
        # The first was received 31 days ago (a session would not survive the clock moving).
        await PrivacyRequest.filter(id=first["id"]).update(
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=31),
            due_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        )
        late = await gql.data(LIST, {"overdue": True}, tenant.token)
        assert [n["id"] for n in late["privacyRequests"]["nodes"]] == [first["id"]]
        one_request = await request_status(gql, tenant.token, first["id"])
        assert (one_request["status"], one_request["overdue"]) == ("VERIFIED", True)
        only_erase = await gql.data(LIST, {"status": "VERIFIED", "overdue": False}, tenant.token)
        assert only_erase["privacyRequests"]["totalCount"] == 2
