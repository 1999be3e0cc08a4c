"""Lifecycle and RFM "as of" a past moment: orders placed after it are ignored, recency and
stages are measured to it, and as of the latest moment it agrees with the kept statistics."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import cast

import pytest

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.lifecycle.errors import SegmentErrorCode
from app.lifecycle.rules import segment_for, stage_for
from app.lifecycle.service import RecomputeCounts, recompute_segments
from app.models.customer import Customer
from app.models.customer import LifecycleStage as Stage
from app.models.order import Order, OrderStatus
from app.organizations.program import LoyaltyProgram
from tests.lifecycle.fixtures import NOW, add_customer, fixed_id, reference_score
from tests.lifecycle.test_service import EXPECTED, build_fixture, new_organization, state_of
from workers.lifecycle import refresh_segments

EARLIER = NOW - dt.timedelta(days=100)


async def expected_as_of(org: uuid.UUID, as_of: dt.datetime) -> dict[uuid.UUID, object]:
    """Stage and scores from the completed orders placed up to `as_of`, in Python."""
    live = {
        c.id: c
        for c in await Customer.filter(organization_id=org, status__in=["ACTIVE", "ARCHIVED"])
    }
    stats: dict[uuid.UUID, tuple[int, Decimal, dt.datetime]] = {}
    for order in await Order.filter(organization_id=org, status=OrderStatus.COMPLETED):
        key = cast(uuid.UUID, order.customer_id)
        if order.placed_at > as_of or key not in live:
            continue
        n, spent, last = stats.get(key, (0, Decimal(0), order.placed_at))
        stats[key] = (n + 1, spent + order.total, max(last, order.placed_at))

    lasts = [s[2] for s in stats.values()]
    counts = [s[0] for s in stats.values()]
    spends = [s[1] for s in stats.values()]
    result: dict[uuid.UUID, object] = {}
    for customer_id in live:
        if customer_id not in stats:
            result[customer_id] = (Stage.MEMBER, None)
            continue
        n, spent, last = stats[customer_id]
        r, f, m = (
            reference_score(last, lasts),
            reference_score(n, counts),
            reference_score(spent, spends),
        )
        stage = stage_for(n, last, as_of, LoyaltyProgram())
        result[customer_id] = (stage, (r, f, m, segment_for(r, f, m)))
    return result


async def stored(org: uuid.UUID) -> dict[uuid.UUID, object]:
    return {
        c.id: (
            c.lifecycle_stage,
            None
            if c.rfm_segment is None
            else (c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment),
        )
        for c in await Customer.filter(organization_id=org, status__in=["ACTIVE", "ARCHIVED"])
    }


class TestAsOf:
    async def test_as_of_the_last_order_agrees_with_the_kept_statistics(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)

        counts = await recompute_segments(Principal.system(org), as_of=NOW)

        assert await state_of(org) == EXPECTED
        assert counts == RecomputeCounts(changed=13, scored=12)
        # And the other way round: the kept statistics at NOW change nothing.
        again = await recompute_segments(Principal.system(org), now=NOW)
        assert again == RecomputeCounts(changed=0, scored=12)

    async def test_later_orders_are_ignored_and_stages_measured_to_it(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)
        # A refunded order before the moment counts no more than it does today.
        await Order.create(
            organization_id=org,
            customer_id=fixed_id(org, 1),
            receipt_number="R-refunded",
            total=Decimal("900.00"),
            placed_at=EARLIER - dt.timedelta(days=1),
            status=OrderStatus.REFUNDED,
        )
        before = {
            c.id: (c.order_count, c.total_spent) for c in await Customer.filter(organization_id=org)
        }

        counts = await recompute_segments(Principal.system(org), as_of=EARLIER)

        got = await stored(org)
        assert got == await expected_as_of(org, EARLIER)
        # Customers 7-12 (last orders 1-90 days before NOW, a few days' spread) had not
        # bought yet; customer 4's last order was 100 days old, not 200: ACTIVE then.
        for number in (7, 8, 9, 10, 11, 12):
            assert got[fixed_id(org, number)] == (Stage.MEMBER, None)
        assert got[fixed_id(org, 4)][0] is Stage.ACTIVE  # type: ignore[index]
        assert counts.scored == 6
        # The kept statistics are today's and stay so.
        after = {
            c.id: (c.order_count, c.total_spent) for c in await Customer.filter(organization_id=org)
        }
        assert after == before

    async def test_a_moment_in_the_future_is_refused(self) -> None:
        org = await new_organization("Fixture")
        with pytest.raises(DomainError) as refused:
            await recompute_segments(Principal.system(org), as_of=utcnow() + dt.timedelta(days=1))
        assert refused.value.code is SegmentErrorCode.AS_OF_IN_FUTURE

    async def test_the_job_carries_the_moment(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)

        counts = await refresh_segments({}, str(org), EARLIER.isoformat())

        # The six who had bought, and the merged one whose stale scores go; the rest stay MEMBER.
        assert counts == {"changed": 7, "scored": 6}
        assert await stored(org) == await expected_as_of(org, EARLIER)
        # A moment the job cannot read is skipped, not guessed.
        assert await refresh_segments({}, str(org), "last quarter") is None

    async def test_amounts_that_add_up_to_a_tie_stay_a_tie(self) -> None:
        org = await new_organization("Cents")
        # 0.10 + 0.20 and 0.30: the same spend (as floats, 0.30000000000000004 > 0.3).
        await add_customer(org, 1, days_ago=5, totals=("0.10", "0.20"))
        await add_customer(org, 2, days_ago=5, totals=("0.30",))
        for number in (3, 4, 5):
            await add_customer(org, number, days_ago=5, totals=(f"{number}.00",))

        await recompute_segments(Principal.system(org), as_of=NOW)

        monetary = {
            c.first_name: c.rfm_monetary
            for c in await Customer.filter(organization_id=org).order_by("first_name")
        }
        assert monetary == {"C01": 1, "C02": 1, "C03": 3, "C04": 4, "C05": 5}
        # And the kept statistics give the same.
        assert (await recompute_segments(Principal.system(org), now=NOW)).changed == 0
