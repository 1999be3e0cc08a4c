from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from app.auth.permissions import ApiKeyScope
from app.auth.principal import Principal
from app.auth.service import create_api_key
from app.core.clock import utcnow
from app.models.customer import Customer, LifecycleStage
from app.models.order import Order
from app.wallets.program_admin import update_program
from app.wallets.rewards import award_birthdays
from tests.conftest import GraphQLClient, Tenant
from tests.wallets.helpers import assert_wallet_consistent, new_customer

RECORD = """
mutation($input: OrderRecordInput!) {
  orderRecord(input: $input) {
    replayed points order { id receiptNumber total status pointsEarned items { sku tags } }
    wallet { balance lifetimePoints } errors { field code }
  }
}"""
REFUND = """
mutation($id: ID!) { orderRefund(id: $id, reason: "returned") {
  points order { status } wallet { balance } errors { code } } }"""


def order_input(
    cid: str, receipt: str = "R-1", total: str = "42.50", **extra: Any
) -> dict[str, Any]:
    return {
        "customerId": cid,
        "receiptNumber": receipt,
        "total": total,
        "placedAt": (utcnow() - dt.timedelta(hours=1)).isoformat(),
        "items": [{"sku": "TEE-1", "price": "42.50", "category": "apparel", "tags": ["summer"]}],
        **extra,
    }


async def pos(tenant: Tenant) -> str:
    issued = await create_api_key(
        Principal.system(tenant.organization_id),
        "POS",
        [ApiKeyScope.ORDERS_WRITE, ApiKeyScope.WALLET_READ],
    )
    return issued.key


async def test_recording_earns_points_by_the_rule_and_updates_stats(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    principal = Principal.system(tenant.organization_id)
    await update_program(principal, {"points_per_currency_unit": Decimal(2)})
    customer = await new_customer(principal, email="buyer@example.com")
    data = await gql.data(RECORD, {"input": order_input(str(customer.id))}, await pos(tenant))
    payload = data["orderRecord"]
    assert payload["errors"] == []
    assert payload["points"] == 85  # floor(42.50 * 2)
    assert payload["wallet"] == {"balance": 85, "lifetimePoints": 85}
    assert payload["order"]["items"] == [{"sku": "TEE-1", "tags": ["summer"]}]
    stored = await assert_wallet_consistent(customer.id)
    assert stored.order_count == 1
    assert stored.total_spent == Decimal("42.50")
    assert stored.lifecycle_stage is LifecycleStage.ONE_TIME_BUYER
    assert stored.last_order_at is not None


async def test_same_receipt_is_idempotent_and_a_different_total_conflicts(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    key = await pos(tenant)
    customer = await new_customer(Principal.system(tenant.organization_id), email="r@example.com")
    cid = str(customer.id)
    first = (await gql.data(RECORD, {"input": order_input(cid)}, key))["orderRecord"]
    again = (await gql.data(RECORD, {"input": order_input(cid)}, key))["orderRecord"]
    assert again["replayed"] is True
    assert again["order"]["id"] == first["order"]["id"]
    conflict = (await gql.data(RECORD, {"input": order_input(cid, total="99.00")}, key))[
        "orderRecord"
    ]
    assert [e["code"] for e in conflict["errors"]] == ["RECEIPT_CONFLICT"]
    assert await Order.filter(organization_id=tenant.organization_id).count() == 1
    assert (await assert_wallet_consistent(customer.id)).points_balance == 42


async def test_refund_takes_back_the_points_and_the_stats(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    customer = await new_customer(Principal.system(tenant.organization_id), email="f@example.com")
    recorded = (await gql.data(RECORD, {"input": order_input(str(customer.id))}, tenant.token))[
        "orderRecord"
    ]
    refunded = (await gql.data(REFUND, {"id": recorded["order"]["id"]}, tenant.token))[
        "orderRefund"
    ]
    assert refunded["order"]["status"] == "REFUNDED"
    assert refunded["points"] == -42
    assert refunded["wallet"] == {"balance": 0}
    stored = await assert_wallet_consistent(customer.id)
    assert (stored.order_count, stored.total_spent, stored.lifetime_points) == (0, Decimal(0), 0)
    assert stored.lifecycle_stage is LifecycleStage.MEMBER
    again = (await gql.data(REFUND, {"id": recorded["order"]["id"]}, tenant.token))["orderRefund"]
    assert again["errors"] == []
    assert again["points"] == 0


async def test_bad_input_is_typed_and_writes_nothing(gql: GraphQLClient, tenant: Tenant) -> None:
    customer = await new_customer(Principal.system(tenant.organization_id), email="b@example.com")
    cid = str(customer.id)
    cases = [
        (order_input(cid, total="-1"), "INVALID_TOTAL"),
        (order_input(cid, receipt=" "), "REQUIRED"),
        (order_input(str(uuid.UUID(int=7)), receipt="R-x"), "CUSTOMER_NOT_FOUND"),
        (order_input(cid, receipt="R-s", storeId=str(uuid.UUID(int=8))), "STORE_NOT_FOUND"),
        (
            {**order_input(cid, receipt="R-f"), "placedAt": "2999-01-01T00:00:00+00:00"},
            "INVALID_DATE",
        ),
    ]
    for payload, code in cases:
        data = await gql.data(RECORD, {"input": payload}, tenant.token)
        assert code in [e["code"] for e in data["orderRecord"]["errors"]], payload
    assert await Order.filter(organization_id=tenant.organization_id).count() == 0


async def test_search_by_receipt_number(gql: GraphQLClient, tenant: Tenant) -> None:
    customer = await new_customer(Principal.system(tenant.organization_id), email="s@example.com")
    await gql.data(RECORD, {"input": order_input(str(customer.id), receipt="RC-991")}, tenant.token)
    data = await gql.data('{ customers(search: "RC-991") { nodes { id } } }', token=tenant.token)
    assert data["customers"]["nodes"] == [{"id": str(customer.id)}]


async def test_referral_bonus_and_count(gql: GraphQLClient, tenant: Tenant) -> None:
    principal = Principal.system(tenant.organization_id)
    await update_program(principal, {"referral_bonus_points": 150, "referee_bonus_points": 25})
    referrer = await new_customer(principal, email="ref@example.com")
    query = """mutation($ref: ID!, $email: String!) {
      customerCreate(input: {email: $email}, referredBy: $ref) {
        customer { id wallet { balance } } errors { code } } }"""
    for n in range(2):
        data = await gql.data(
            query, {"ref": str(referrer.id), "email": f"friend{n}@example.com"}, tenant.token
        )
        assert data["customerCreate"]["customer"]["wallet"] == {"balance": 25}
    view = await gql.data(
        "query($id: ID!) { customer(id: $id) { referralCount wallet { balance } } }",
        {"id": str(referrer.id)},
        tenant.token,
    )
    assert view["customer"] == {"referralCount": 2, "wallet": {"balance": 300}}
    bad = await gql.data(
        query, {"ref": str(uuid.UUID(int=9)), "email": "x@example.com"}, tenant.token
    )
    assert [e["code"] for e in bad["customerCreate"]["errors"]] == ["REFERRER_NOT_FOUND"]


async def test_birthday_reward_once_a_year(tenant: Tenant) -> None:
    principal = Principal.system(tenant.organization_id)
    await update_program(
        principal, {"birthday_reward_enabled": True, "birthday_reward_points": 100}
    )
    today = utcnow()
    born = dt.date(1990, today.month, min(today.day, 28))
    customer = await new_customer(principal, email="bday@example.com", birthday=born)
    await new_customer(
        principal,
        email="other@example.com",
        birthday=dt.date(1990, 1, 1) if today.month != 1 else dt.date(1990, 6, 1),
    )
    now = today.replace(day=born.day)
    assert await award_birthdays(principal, now) == 1
    assert await award_birthdays(principal, now) == 0
    assert (await Customer.get(id=customer.id)).points_balance == 100


async def test_activity_merges_orders_ledger_and_audit(gql: GraphQLClient, tenant: Tenant) -> None:
    customer = await new_customer(Principal.system(tenant.organization_id), email="a@example.com")
    await gql.data(RECORD, {"input": order_input(str(customer.id))}, tenant.token)
    await gql.data(
        'mutation($id: ID!) { customerArchive(id: $id, reason: "moved away") { errors { code } } }',
        {"id": str(customer.id)},
        tenant.token,
    )
    query = """query($id: ID!, $after: String) { customer(id: $id) {
      activity(first: 2, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { __typename ... on LedgerEntry { kind } ... on AuditEvent { action }
                ... on Order { receiptNumber } } } } }"""
    first = (await gql.data(query, {"id": str(customer.id)}, tenant.token))["customer"]["activity"]
    assert first["nodes"] == [
        {"__typename": "AuditEvent", "action": "CUSTOMER_ARCHIVED"},
        {"__typename": "LedgerEntry", "kind": "EARN"},
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await gql.data(
            query, {"id": str(customer.id), "after": first["pageInfo"]["endCursor"]}, tenant.token
        )
    )["customer"]["activity"]
    assert rest["nodes"] == [{"__typename": "Order", "receiptNumber": "R-1"}]
    assert rest["pageInfo"]["hasNextPage"] is False
