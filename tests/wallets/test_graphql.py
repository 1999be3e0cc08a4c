from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from app.auth.permissions import ApiKeyScope
from app.auth.principal import Principal
from app.auth.service import create_api_key, revoke_api_key
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.models.customer import Customer, CustomerStatus
from app.models.wallet import LedgerEntry
from app.organizations.program import Tier
from app.wallets import service as wallets
from app.wallets.program_admin import update_program
from app.wallets.service import expire_due_points, points_expiring
from tests.conftest import GraphQLClient, Tenant
from tests.wallets.helpers import assert_wallet_consistent, new_customer

EARN = """
mutation($id: ID!, $points: Int!, $key: String!) {
  walletEarn(customerId: $id, points: $points, reason: "purchase", idempotencyKey: $key) {
    replayed wallet { balance lifetimePoints } entry { id kind points balanceAfter }
    errors { field code }
  }
}"""
REDEEM = """
mutation($id: ID!, $points: Int!, $key: String!) {
  walletRedeem(customerId: $id, points: $points, reason: "reward", idempotencyKey: $key) {
    replayed wallet { balance } entry { id points } errors { field code }
  }
}"""
WALLET_BY_PHONE = """
query($phone: String!) {
  wallet(phone: $phone) {
    customerId balance lifetimePoints tier { name } nextTier { name } pointsToNextTier
    tierProgress pointsExpiringSoon
  }
}"""


async def pos_key(tenant: Tenant, *scopes: ApiKeyScope) -> str:
    issued = await create_api_key(Principal.system(tenant.organization_id), "POS", list(scopes))
    return issued.key


async def customer_id(tenant: Tenant, **fields: Any) -> str:
    customer = await new_customer(Principal.system(tenant.organization_id), **fields)
    return str(customer.id)


class TestEarnAndRedeem:
    async def test_earn_then_redeem(self, gql: GraphQLClient, tenant: Tenant) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN, ApiKeyScope.WALLET_REDEEM)
        cid = await customer_id(tenant, email="w@example.com")
        earned = (await gql.data(EARN, {"id": cid, "points": 300, "key": "e1"}, key))["walletEarn"]
        assert earned["errors"] == []
        assert earned["wallet"] == {"balance": 300, "lifetimePoints": 300}
        redeemed = (await gql.data(REDEEM, {"id": cid, "points": 120, "key": "r1"}, key))[
            "walletRedeem"
        ]
        assert redeemed["wallet"] == {"balance": 180}
        # Redeeming does not lower lifetime points (tiers are never lost by spending).
        customer = await assert_wallet_consistent(uuid.UUID(cid))
        assert customer.lifetime_points == 300

    async def test_retry_with_same_key_changes_nothing(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN, ApiKeyScope.WALLET_REDEEM)
        cid = await customer_id(tenant, email="retry@example.com")
        await gql.data(EARN, {"id": cid, "points": 100, "key": "earn-1"}, key)
        first = await gql.data(REDEEM, {"id": cid, "points": 40, "key": "pos-7"}, key)
        again = await gql.data(REDEEM, {"id": cid, "points": 40, "key": "pos-7"}, key)
        assert first["walletRedeem"]["replayed"] is False
        assert again["walletRedeem"]["replayed"] is True
        assert again["walletRedeem"]["entry"] == first["walletRedeem"]["entry"]
        assert again["walletRedeem"]["wallet"] == {"balance": 60}
        assert await LedgerEntry.filter(customer_id=cid).count() == 2

    async def test_same_key_for_a_different_request_is_refused(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN)
        cid = await customer_id(tenant, email="reuse@example.com")
        await gql.data(EARN, {"id": cid, "points": 10, "key": "k"}, key)
        other = (await gql.data(EARN, {"id": cid, "points": 11, "key": "k"}, key))["walletEarn"]
        assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]

    @pytest.mark.parametrize("points", [0, -5])
    async def test_zero_or_negative_points_are_refused(
        self, gql: GraphQLClient, tenant: Tenant, points: int
    ) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN, ApiKeyScope.WALLET_REDEEM)
        cid = await customer_id(tenant, email="zero@example.com")
        for query, name in ((EARN, "walletEarn"), (REDEEM, "walletRedeem")):
            data = await gql.data(query, {"id": cid, "points": points, "key": f"z{name}"}, key)
            assert [e["code"] for e in data[name]["errors"]] == ["INVALID_POINTS"]
        assert await LedgerEntry.filter(customer_id=cid).count() == 0

    async def test_redeeming_more_than_the_balance_writes_nothing(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN, ApiKeyScope.WALLET_REDEEM)
        cid = await customer_id(tenant, email="over@example.com")
        await gql.data(EARN, {"id": cid, "points": 50, "key": "e"}, key)
        data = await gql.data(REDEEM, {"id": cid, "points": 51, "key": "r"}, key)
        assert [e["code"] for e in data["walletRedeem"]["errors"]] == ["INSUFFICIENT_POINTS"]
        assert (await Customer.get(id=cid)).points_balance == 50
        assert await LedgerEntry.filter(customer_id=cid).count() == 1

    async def test_unknown_customer(self, gql: GraphQLClient, tenant: Tenant) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN)
        data = await gql.data(
            EARN, {"id": "01a20408-0000-7000-8000-000000000000", "points": 5, "key": "u"}, key
        )
        assert [e["code"] for e in data["walletEarn"]["errors"]] == ["CUSTOMER_NOT_FOUND"]

    async def test_key_without_the_scope_is_forbidden(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_READ)
        cid = await customer_id(tenant, email="scope@example.com")
        codes = await gql.error_codes(EARN, {"id": cid, "points": 5, "key": "s"}, key)
        assert codes == ["FORBIDDEN"]
        assert await LedgerEntry.filter(customer_id=cid).count() == 0

    async def test_adjust_is_staff_only(self, gql: GraphQLClient, tenant: Tenant) -> None:
        cid = await customer_id(tenant, email="adj@example.com")
        query = """mutation($id: ID!) { walletAdjust(customerId: $id, points: -5,
            reason: "fix") { wallet { balance } errors { code } } }"""
        key = await pos_key(tenant, ApiKeyScope.WALLET_EARN, ApiKeyScope.WALLET_REDEEM)
        assert await gql.error_codes(query, {"id": cid}, key) == ["FORBIDDEN"]
        data = await gql.data(query, {"id": cid}, tenant.token)
        assert [e["code"] for e in data["walletAdjust"]["errors"]] == ["INSUFFICIENT_POINTS"]


class TestPosLookup:
    async def test_by_phone_in_any_format_with_tier_progress(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        principal = Principal.system(tenant.organization_id)
        await update_program(
            principal, {"tiers": [Tier("Member", 0), Tier("Silver", 1000), Tier("Gold", 5000)]}
        )
        customer = await new_customer(principal, phone="(202) 555-0143")
        await wallets.earn(principal, customer.id, 800, "purchase", "e1")
        key = await pos_key(tenant, ApiKeyScope.WALLET_READ)
        data = await gql.data(WALLET_BY_PHONE, {"phone": "+1 202-555-0143"}, key)
        assert data["wallet"] == {
            "customerId": str(customer.id),
            "balance": 800,
            "lifetimePoints": 800,
            "tier": {"name": "Member"},
            "nextTier": {"name": "Silver"},
            "pointsToNextTier": 200,
            "tierProgress": "200 points from Silver",
            "pointsExpiringSoon": 0,
        }

    async def test_archived_customer_keeps_a_working_wallet(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        principal = Principal.system(tenant.organization_id)
        customer = await new_customer(principal, phone="2025550144")
        await Customer.filter(id=customer.id).update(status=CustomerStatus.ARCHIVED)
        key = await pos_key(tenant, ApiKeyScope.WALLET_READ)
        data = await gql.data(WALLET_BY_PHONE, {"phone": "202-555-0144"}, key)
        assert data["wallet"]["customerId"] == str(customer.id)

    async def test_erased_customer_is_a_typed_non_revealing_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        principal = Principal.system(tenant.organization_id)
        customer = await new_customer(principal, phone="2025550145")
        await Customer.filter(id=customer.id).update(status=CustomerStatus.ERASED, phone=None)
        key = await pos_key(tenant, ApiKeyScope.WALLET_READ)
        body = await gql.raw(
            "query($id: ID!) { wallet(customerId: $id) { balance } }", {"id": str(customer.id)}, key
        )
        assert [e["extensions"]["code"] for e in body["errors"]] == ["CUSTOMER_UNAVAILABLE"]
        assert "erase" not in body["errors"][0]["message"].lower()

    async def test_malformed_phone_is_a_typed_error(
        self, gql: GraphQLClient, tenant: Tenant
    ) -> None:
        key = await pos_key(tenant, ApiKeyScope.WALLET_READ)
        codes = await gql.error_codes(WALLET_BY_PHONE, {"phone": "12"}, key)
        assert codes == ["INVALID_ARGUMENT"]

    async def test_revoked_key_stops_working(self, gql: GraphQLClient, tenant: Tenant) -> None:
        issued = await create_api_key(
            Principal.system(tenant.organization_id), "POS", [ApiKeyScope.WALLET_READ]
        )
        assert await gql.error_codes(WALLET_BY_PHONE, {"phone": "2025550146"}, issued.key) == []
        await revoke_api_key(Principal.system(tenant.organization_id), issued.api_key.id)
        codes = await gql.error_codes(WALLET_BY_PHONE, {"phone": "2025550146"}, issued.key)
        assert codes == ["INVALID_CREDENTIALS"]


class TestExpiry:
    async def test_points_expire_oldest_first_and_show_as_expiring(self, tenant: Tenant) -> None:
        principal = Principal.system(tenant.organization_id)
        await update_program(principal, {"points_expire_after_days": 20})
        customer = await new_customer(principal, email="exp@example.com")
        await wallets.earn(principal, customer.id, 100, "first", "e1")
        assert await points_expiring(principal, customer.id) == 100
        await wallets.redeem(principal, customer.id, 30, "spend", "r1")
        assert await points_expiring(principal, customer.id) == 70
        # Nothing is due yet; at day 21 the unspent 70 expire, once.
        assert await expire_due_points(principal, utcnow()) == 0
        later = utcnow() + dt.timedelta(days=21)
        assert await expire_due_points(principal, later) == 1
        assert await expire_due_points(principal, later) == 0
        after = await assert_wallet_consistent(customer.id)
        assert after.points_balance == 0
        assert after.lifetime_points == 100


@pytest.mark.postgres_only
async def test_fifty_concurrent_redeems_never_overdraw(tenant: Tenant) -> None:
    principal = Principal.system(tenant.organization_id)
    customer = await new_customer(principal, email="race@example.com")
    await wallets.earn(principal, customer.id, 200, "seed", "seed")

    async def attempt(i: int) -> bool:
        try:
            await wallets.redeem(principal, customer.id, 10, "race", f"race-{i}")
        except DomainError as exc:
            refused.append(exc.code)
            return False
        return True

    refused: list[object] = []
    outcomes = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert sum(outcomes) == 20
    assert set(refused) == {"INSUFFICIENT_POINTS"}
    final = await assert_wallet_consistent(customer.id)
    assert final.points_balance == 0
