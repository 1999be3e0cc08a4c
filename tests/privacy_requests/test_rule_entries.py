"""Erasure treats the points an earning rule gave like any other: the wallet is emptied by one
ERASE entry, and the rule's entries stay (anonymous accounting) naming their rule."""

from __future__ import annotations

import uuid

from app.auth.principal import Principal
from app.config import Settings
from app.models.customer import Customer, CustomerStatus
from app.models.earning_rule import EarningRuleKind as Kind
from app.models.wallet import LedgerEntry, LedgerKind
from app.privacy_requests.service import run_request
from tests.conftest import GraphQLClient, Tenant
from tests.factories import create_customer, owner_of
from tests.rules.helpers import active_rule
from tests.wallets.helpers import assert_wallet_consistent

CREATE = """
mutation($input: PrivacyRequestCreateInput!) {
  privacyRequestCreate(input: $input) { privacyRequest { id } errors { code } }
}"""


async def test_erasure_empties_rule_points(
    gql: GraphQLClient, tenant: Tenant, settings: Settings
) -> None:
    rule = await active_rule(owner_of(tenant), Kind.WELCOME, points=150)
    customer = await create_customer(gql, tenant.token, email="gone@example.com")
    assert (await assert_wallet_consistent(customer["id"])).points_balance == 150
    data = await gql.data(
        CREATE, {"input": {"kind": "ERASE", "customerId": customer["id"]}}, tenant.token
    )
    request_id = uuid.UUID(data["privacyRequestCreate"]["privacyRequest"]["id"])
    principal = Principal.system(tenant.organization_id)
    assert await run_request(principal, settings, request_id) == "DONE"
    row = await Customer.get(id=customer["id"])
    assert (row.status, row.points_balance) == (CustomerStatus.ERASED, 0)
    entries = await LedgerEntry.filter(customer_id=customer["id"]).order_by("created_at", "id")
    assert [(e.kind, e.points, e.earning_rule_id) for e in entries] == [
        (LedgerKind.EARN, 150, rule.id),
        (LedgerKind.ERASE, -150, None),
    ]
    assert row.email is None
