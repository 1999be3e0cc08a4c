"""Two merges touching the same customers at once, on PostgreSQL (SQLite has one writer)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.merges.service import MergeRequest, merge_customers, unmerge
from app.models.customer import Customer, CustomerStatus
from app.models.merge import CustomerAlias, CustomerMerge
from app.wallets import service as wallets
from tests.conftest import Tenant
from tests.wallets.helpers import assert_wallet_consistent, new_customer


async def attempt(principal: Principal, survivor: uuid.UUID, merged: list[uuid.UUID]) -> str:
    try:
        await merge_customers(principal, MergeRequest(survivor, merged))
    except DomainError as exc:
        return str(exc.code)
    return "MERGED"


async def undo(principal: Principal, merge_id: uuid.UUID) -> str:
    try:
        await unmerge(principal, merge_id)
    except DomainError as exc:
        return str(exc.code)
    return "UNMERGED"


@pytest.mark.postgres_only
@pytest.mark.parametrize("rounds", [8])
async def test_one_of_two_concurrent_merges_wins_and_the_other_is_refused(
    tenant: Tenant, rounds: int
) -> None:
    principal = Principal.system(tenant.organization_id)
    for n in range(rounds):
        a, b, c, d = [await new_customer(principal, email=f"r{n}-{x}@example.com") for x in "abcd"]
        for customer in (a, b, c, d):
            await wallets.earn(principal, customer.id, 10, "seed", f"seed-{customer.id}")
        # The shared customers named in opposite orders, and each survivor merged by the
        # other in the second pair: locking in id order keeps either from deadlocking.
        first, second = (a.id, [b.id, c.id]), (d.id, [c.id, b.id])
        if n % 2:
            first, second = (a.id, [b.id]), (b.id, [a.id])
        outcomes = await asyncio.wait_for(
            asyncio.gather(attempt(principal, *first), attempt(principal, *second)), timeout=30
        )
        assert sorted(outcomes) == ["ALREADY_MERGED", "MERGED"], outcomes
        assert await CustomerMerge.filter(organization_id=tenant.organization_id).count() == (n + 1)
        rows = await Customer.filter(id__in=[a.id, b.id, c.id, d.id])
        merged = [r for r in rows if r.status is CustomerStatus.MERGED]
        # Nothing half-written: exactly the winner's merged customers are MERGED, every
        # point is still there, every wallet is its ledger.
        assert len(merged) == (2 if n % 2 == 0 else 1)
        assert sum(r.points_balance for r in rows) == 40
        for row in rows:
            await assert_wallet_consistent(row.id)
        aliases = await CustomerAlias.filter(former_customer_id__in=[r.id for r in merged])
        assert {alias.value for alias in aliases} == {r_email(n, r, (a, b, c, d)) for r in merged}


def r_email(n: int, row: Customer, customers: tuple[Customer, ...]) -> str:
    letter = "abcd"[[c.id for c in customers].index(row.id)]
    return f"r{n}-{letter}@example.com"


@pytest.mark.postgres_only
async def test_an_unmerge_racing_a_merge_that_builds_on_it_never_half_applies(
    tenant: Tenant,
) -> None:
    principal = Principal.system(tenant.organization_id)
    for n in range(4):
        a, b, c = [await new_customer(principal, email=f"u{n}-{x}@example.com") for x in "abc"]
        first = await merge_customers(principal, MergeRequest(b.id, [a.id]))
        assert first.merge is not None
        outcomes = await asyncio.wait_for(
            asyncio.gather(undo(principal, first.merge.id), attempt(principal, c.id, [b.id])),
            timeout=30,
        )
        # Either order is fine; an unmerge after the merge that builds on it is refused.
        assert outcomes[1] == "MERGED"
        assert outcomes[0] in ("UNMERGED", "LATER_MERGE_FIRST")
        rows = {r.id: r for r in await Customer.filter(id__in=[a.id, b.id, c.id])}
        assert rows[b.id].merged_into_id == c.id
        expected_a = CustomerStatus.ACTIVE if outcomes[0] == "UNMERGED" else CustomerStatus.MERGED
        assert rows[a.id].status is expected_a
