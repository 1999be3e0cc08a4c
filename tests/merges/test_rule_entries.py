"""Points an earning rule gave move with a merge and come back with the unmerge, like any other
ledger entry; the entries keep naming their rule."""

from __future__ import annotations

from app.models.earning_rule import EarningRuleKind as Kind
from app.models.wallet import LedgerEntry
from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer, owner_of
from tests.merges.helpers import merged_ok, order, unmerge
from tests.rules.helpers import active_rule
from tests.wallets.helpers import assert_wallet_consistent


async def test_rule_points_merge_and_unmerge(gql: GraphQLClient, tenant: Tenant) -> None:
    owner = owner_of(tenant)
    welcome = await active_rule(owner, Kind.WELCOME, points=100)
    await active_rule(owner, Kind.ORDER_MULTIPLIER, multiplier="2")
    t = tenant.token
    online = await create_customer(gql, t, firstName="Ada", email="ada@example.com")
    till = await create_customer(gql, t, firstName="Ada", phone="(202) 555-0143")
    await order(gql, t, till["id"], "R-1", "20.00")
    before = [(await assert_wallet_consistent(c["id"])).points_balance for c in (online, till)]
    assert before == [100, 100 + 20 + 20]
    payload = await merged_ok(gql, t, online["id"], [till["id"]])
    survivor = await assert_wallet_consistent(online["id"])
    assert survivor.points_balance == 240
    assert (await assert_wallet_consistent(till["id"])).points_balance == 0
    # The merged customer's history, its rule entries too, shows on the survivor.
    assert await holders_of(welcome.id) == [online["id"], online["id"]]
    undone = await unmerge(gql, t, payload["merge"]["id"])
    assert undone["errors"] == []
    after = [(await assert_wallet_consistent(c["id"])).points_balance for c in (online, till)]
    assert after == before
    assert await holders_of(welcome.id) == sorted([online["id"], till["id"]])


async def holders_of(rule_id: object) -> list[str]:
    """The customers holding the entries the rule wrote."""
    rows = await LedgerEntry.filter(earning_rule_id=rule_id).values_list("customer_id", flat=True)
    return sorted(str(c) for c in rows)
