"""RFM on a base where most customers tie: equal values get equal scores, never split by id,
and the counts per segment follow from the values alone (the same data in two organizations
gives the same segments whatever the ids)."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

from app.auth.principal import Principal
from app.lifecycle.rules import segment_for
from app.lifecycle.service import recompute_segments
from app.models.customer import Customer
from app.models.customer import RfmSegment as Seg
from tests.lifecycle.fixtures import NOW, add_customer, reference_score
from tests.lifecycle.test_service import new_organization

# 40 customers like the imported retail log: half bought exactly once (same day, same
# amount: 20 perfect ties), a middle of two-order buyers in two amounts, a long tail of heavy
# buyers. (days since the last order, order totals) per customer number.
BASE: list[tuple[int, tuple[str, ...]]] = (
    [(400, ("25.00",))] * 20
    + [(200, ("30.00", "30.00"))] * 6
    + [(90, ("40.00", "40.00"))] * 6
    + [(30 - n, ("80.00",) * (3 + n)) for n in range(8)]
)


def expected_scores(rows: list[Customer]) -> dict[uuid.UUID, tuple[int, int, int]]:
    """`rules.quintile` of each value: how many scored customers have a strictly lower one."""
    scored = [c for c in rows if c.order_count > 0 and c.last_order_at is not None]

    recency = [c.last_order_at for c in scored]
    frequency = [c.order_count for c in scored]
    monetary = [Decimal(c.total_spent) for c in scored]
    return {
        c.id: (
            reference_score(c.last_order_at, recency),
            reference_score(c.order_count, frequency),
            reference_score(Decimal(c.total_spent), monetary),
        )
        for c in scored
    }


async def build(org: uuid.UUID, *, reverse_ids: bool = False) -> None:
    """The base, named P01..P40; with `reverse_ids` the ids sort in the opposite order of the
    names (ties broken by id would then land the other way round)."""
    size = len(BASE)
    for number, (days, totals) in enumerate(BASE, start=1):
        id_number = size + 1 - number if reverse_ids else number
        customer = await add_customer(org, id_number, days_ago=days, totals=totals)
        await Customer.filter(id=customer.id).update(first_name=f"P{number:02d}")


def scores_by_name(rows: list[Customer]) -> dict[str, tuple[object, ...]]:
    return {
        str(c.first_name): (c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment)
        for c in rows
    }


class TestTies:
    async def test_equal_values_get_equal_scores(self) -> None:
        org = await new_organization("Ties")
        await build(org)

        await recompute_segments(Principal.system(org), now=NOW)

        rows = await Customer.filter(organization_id=org)
        one_time = [c for c in rows if c.order_count == 1]
        assert len(one_time) == 20
        # Twenty identical one-time buyers: one score triple and one segment for all of them
        # (by id they used to spread over F1..F3, some labelled LOYAL).
        assert {(c.rfm_recency, c.rfm_frequency, c.rfm_monetary) for c in one_time} == {(1, 1, 1)}
        assert {c.rfm_segment for c in one_time} == {Seg.LOST}
        for key in ("order_count", "total_spent", "last_order_at"):
            groups: dict[object, set[tuple[object, ...]]] = {}
            for c in rows:
                groups.setdefault(getattr(c, key), set()).add(
                    (c.rfm_recency, c.rfm_frequency, c.rfm_monetary)[
                        ("last_order_at", "order_count", "total_spent").index(key)
                    ]
                )
            assert all(len(scores) == 1 for scores in groups.values()), key

    async def test_scores_follow_from_the_values_alone(self) -> None:
        org = await new_organization("Ties")
        await build(org)

        await recompute_segments(Principal.system(org), now=NOW)

        rows = await Customer.filter(organization_id=org)
        expected = expected_scores(rows)
        got = {
            c.id: (c.rfm_recency, c.rfm_frequency, c.rfm_monetary)
            for c in rows
            if c.rfm_segment is not None
        }
        assert got == expected
        for c in rows:
            assert c.rfm_segment is segment_for(*expected[c.id])
        # Half the base ties at one order (F1); two orders: 1 + 5 * 20 // 40 = 3; the tail
        # starts at 32 of 40 below it: 1 + 5 * 32 // 40 = 5. F2 and F4 stay empty.
        assert Counter(c.rfm_frequency for c in rows) == Counter({1: 20, 3: 12, 5: 8})

    async def test_the_same_data_in_two_organizations_gives_the_same_segments(self) -> None:
        first = await new_organization("First")
        second = await new_organization("Second")
        await build(first)
        await build(second, reverse_ids=True)
        for org in (first, second):
            await recompute_segments(Principal.system(org), now=NOW)

        a = await Customer.filter(organization_id=first)
        b = await Customer.filter(organization_id=second)
        assert Counter(c.rfm_segment for c in a) == Counter(c.rfm_segment for c in b)
        assert Counter(c.lifecycle_stage for c in a) == Counter(c.lifecycle_stage for c in b)
        assert scores_by_name(a) == scores_by_name(b)
