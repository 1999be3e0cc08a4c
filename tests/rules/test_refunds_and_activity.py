"""A refund takes back what the order earned through rules; the wallet's activity names the
rule of each entry; a POS key sees only the effect."""

from __future__ import annotations

from app.auth.permissions import ApiKeyScope
from app.models.earning_rule import EarningRule, EarningRuleAward
from app.models.earning_rule import EarningRuleKind as Kind
from app.models.wallet import LedgerKind
from app.orders.service import reverse_order
from app.wallets.ledger import Movement
from app.wallets.service import move_points
from tests.conftest import GraphQLClient, Tenant
from tests.factories import add_api_key, owner_of
from tests.rules.helpers import active_rule, order, rule_entries
from tests.wallets.helpers import assert_wallet_consistent, new_customer

RECORD = """
mutation($input: OrderRecordInput!) {
  orderRecord(input: $input) { points bonusPoints wallet { balance } errors { code } }
}"""
REFUND = """
mutation($id: ID!) { orderRefund(id: $id, reason: "returned") {
  points bonusPoints wallet { balance } errors { code } } }"""
ACTIVITY = """
query($id: ID!) { customer(id: $id) { activity(first: 20) { nodes {
  __typename ... on LedgerEntry { kind points earningRule { id name kind } } } } } }"""


async def test_refund_reverses_each_rule_and_gives_back_the_budget(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    double = await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2", points_budget=1000)
    first = await active_rule(owner, Kind.FIRST_ORDER, points=25)
    customer = await new_customer(owner, email="rf@example.com")
    recorded = await order(owner, customer.id, "RF-1", "100.00")
    assert (recorded.points, recorded.bonus_points) == (100, 125)
    refunded = await reverse_order(owner, recorded.order.id, void=False, reason="returned")
    assert (refunded.points, refunded.bonus_points) == (-100, -125)
    wallet = await assert_wallet_consistent(customer.id)
    assert (wallet.points_balance, wallet.lifetime_points) == (0, 0)
    refunds = [e for e in await rule_entries(customer.id) if e.kind is LedgerKind.REFUND]
    assert sorted((e.earning_rule_id, e.points) for e in refunds) == sorted(
        [(double.id, -100), (first.id, -25)]
    )
    assert (await EarningRule.get(id=double.id)).points_awarded == 0
    assert await EarningRuleAward.filter(customer_id=customer.id, reversed=True).count() == 2
    # A second refund of the same order changes nothing.
    again = await reverse_order(owner, recorded.order.id, void=False, reason="returned")
    assert again.replayed is True
    # The first order's bonus is not paid again by the next order.
    assert (await order(owner, customer.id, "RF-2", "10.00")).bonus_points == 10


async def test_refund_never_takes_the_wallet_below_zero(tenant: Tenant) -> None:
    owner = owner_of(tenant)
    await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="3")
    customer = await new_customer(owner, email="sp@example.com")
    recorded = await order(owner, customer.id, "SP-1", "50.00")
    assert recorded.bonus_points == 100
    await move_points(owner, customer.id, Movement(LedgerKind.REDEEM, -120, "spent", "sp-redeem"))
    refunded = await reverse_order(owner, recorded.order.id, void=True, reason="mistake")
    # 30 left: the base refund takes it all, the rule's refund finds nothing to take.
    assert (refunded.points, refunded.bonus_points) == (-30, 0)
    wallet = await assert_wallet_consistent(customer.id)
    assert wallet.points_balance == 0


async def test_pos_sees_the_effect_and_staff_see_the_rule_in_the_activity(
    gql: GraphQLClient, tenant: Tenant
) -> None:
    owner = owner_of(tenant)
    rule = await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2", name="Double week")
    customer = await new_customer(owner, email="pos@example.com")
    key = await add_api_key(tenant, ApiKeyScope.ORDERS_WRITE, ApiKeyScope.WALLET_READ)
    order_input = {
        "customerId": str(customer.id),
        "receiptNumber": "POS-1",
        "total": "30.00",
        "placedAt": "2026-01-15T12:00:00Z",
    }
    payload = (await gql.data(RECORD, {"input": order_input}, key.secret))["orderRecord"]
    assert payload == {"points": 30, "bonusPoints": 30, "wallet": {"balance": 60}, "errors": []}
    activity = await gql.data(ACTIVITY, {"id": str(customer.id)}, tenant.token)
    entries = [
        n for n in activity["customer"]["activity"]["nodes"] if n["__typename"] == "LedgerEntry"
    ]
    named = {"id": str(rule.id), "name": "Double week", "kind": "ORDER_MULTIPLIER"}
    assert {
        "__typename": "LedgerEntry",
        "kind": "EARN",
        "points": 30,
        "earningRule": named,
    } in entries
    assert {
        "__typename": "LedgerEntry",
        "kind": "EARN",
        "points": 30,
        "earningRule": None,
    } in entries
    # The POS key cannot read the rules themselves.
    body = await gql.raw("query { earningRules { totalCount } }", token=key.secret)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
