from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal

from tortoise import connections

from app.auth.principal import Principal
from app.lifecycle.repository import _segment_case, _Sql
from app.lifecycle.rules import segment_for, stage_for
from app.lifecycle.service import (
    RecomputeCounts,
    recompute_segments,
    refresh_customer_stage,
)
from app.models.customer import Customer, CustomerStatus
from app.models.customer import LifecycleStage as Stage
from app.models.customer import RfmSegment as Seg
from app.models.organization import Organization
from app.organizations.program import LoyaltyProgram
from tests.lifecycle.fixtures import NOW, add_customer, fixed_id, reload

# The hand computation. Default thresholds: AT_RISK after 180 days, LOST after 365.
# Twelve scored customers; a score is 1 + 5 * lower // 12, where `lower` counts the scored
# customers with a strictly lower value (rules.quintile): lower 0-2 -> 1, 3-4 -> 2, 5-7 -> 3,
# 8-9 -> 4, 10-11 -> 5. Equal values share `lower`, so they share a score; ids play no part.
#
#  #  days  orders  spent    stage           R low  F low  M low  R F M  FM  segment
#  1  400   1       20.00    LOST              0      0      2    1 1 1   1   LOST
#  2  366   3       300.00   LOST              1      7      9    1 3 4   4   CANNOT_LOSE_THEM
#  3  365   2       45.00    AT_RISK (=365)    2      4      3    1 2 2   2   LOST
#  4  200   5       500.00   AT_RISK           3     10     10    2 5 5   5   CANNOT_LOSE_THEM
#  5  181   1       9.50     AT_RISK           4      0      0    2 1 1   1   HIBERNATING
#  6  180   1       100.00   ONE_TIME (=180)   5      0      6    3 1 3   2   ABOUT_TO_SLEEP
#  7  90    2       100.00   ACTIVE            6      4      6    3 2 3   3   NEED_ATTENTION
#  8  60    4       250.00   ACTIVE            7      9      8    3 4 4   4   LOYAL
#  9  30    1       15.00    ONE_TIME          8      0      1    4 1 1   1   PROMISING
# 10  10    2       80.00    ACTIVE (archived) 9      4      5    4 2 3   3   POTENTIAL_LOYALIST
# 11  10    6       1000.00  ACTIVE            9     11     11    4 5 5   5   CHAMPIONS
# 12  1     3       60.00    ACTIVE           11      7      4    5 3 2   3   POTENTIAL_LOYALIST
# 13  -     0       0        MEMBER            -      -      -    - - -   -   (none)
# 14  5     2       70.00    ACTIVE, but MERGED: not scored, stale scores cleared
#
# F ties: one order {1, 5, 6, 9} all F1, two {3, 7, 10} all F2, three {2, 12} both F3;
# M tie: 100.00 {6, 7} both M3; R tie: 10 and 11 ordered at the same instant, both R4.
# 9.50 < 15.00 < 100.00 also catches sorting money as text.
FIXTURE: list[tuple[int, float | None, tuple[str, ...]]] = [
    (1, 400, ("20.00",)),
    (2, 366, ("100.00", "100.00", "100.00")),
    (3, 365, ("20.00", "25.00")),
    (4, 200, ("100.00",) * 5),
    (5, 181, ("9.50",)),
    (6, 180, ("100.00",)),
    (7, 90, ("60.00", "40.00")),
    (8, 60, ("50.00", "50.00", "50.00", "100.00")),
    (9, 30, ("15.00",)),
    (10, 10, ("40.00", "40.00")),
    (11, 10, ("500.00", "100.00", "100.00", "100.00", "100.00", "100.00")),
    (12, 1, ("20.00", "20.00", "20.00")),
    (13, None, ()),
]
EXPECTED: dict[int, tuple[Stage, tuple[int, int, int, Seg] | None]] = {
    1: (Stage.LOST, (1, 1, 1, Seg.LOST)),
    2: (Stage.LOST, (1, 3, 4, Seg.CANNOT_LOSE_THEM)),
    3: (Stage.AT_RISK, (1, 2, 2, Seg.LOST)),
    4: (Stage.AT_RISK, (2, 5, 5, Seg.CANNOT_LOSE_THEM)),
    5: (Stage.AT_RISK, (2, 1, 1, Seg.HIBERNATING)),
    6: (Stage.ONE_TIME_BUYER, (3, 1, 3, Seg.ABOUT_TO_SLEEP)),
    7: (Stage.ACTIVE, (3, 2, 3, Seg.NEED_ATTENTION)),
    8: (Stage.ACTIVE, (3, 4, 4, Seg.LOYAL)),
    9: (Stage.ONE_TIME_BUYER, (4, 1, 1, Seg.PROMISING)),
    10: (Stage.ACTIVE, (4, 2, 3, Seg.POTENTIAL_LOYALIST)),
    11: (Stage.ACTIVE, (4, 5, 5, Seg.CHAMPIONS)),
    12: (Stage.ACTIVE, (5, 3, 2, Seg.POTENTIAL_LOYALIST)),
    13: (Stage.MEMBER, None),
    14: (Stage.ACTIVE, None),
}


async def new_organization(name: str, program: dict[str, int] | None = None) -> uuid.UUID:
    settings: dict[str, object] = {"program": program} if program else {}
    org = await Organization.create(name=name, settings=settings)
    return org.id


async def build_fixture(organization_id: uuid.UUID) -> None:
    for number, days, totals in FIXTURE:
        status = CustomerStatus.ARCHIVED if number == 10 else CustomerStatus.ACTIVE
        await add_customer(organization_id, number, days_ago=days, totals=totals, status=status)
    merged = await add_customer(
        organization_id, 14, days_ago=5, totals=("35.00", "35.00"), status=CustomerStatus.MERGED
    )
    # Scores from before the merge, which must not survive it.
    await Customer.filter(id=merged.id).update(
        rfm_recency=5, rfm_frequency=5, rfm_monetary=5, rfm_segment=Seg.CHAMPIONS
    )


async def state_of(organization_id: uuid.UUID) -> dict[int, tuple[Stage, object]]:
    rows = await Customer.filter(organization_id=organization_id)
    numbers = {fixed_id(organization_id, n): n for n in range(1, 15)}
    return {
        numbers[c.id]: (
            c.lifecycle_stage,
            None
            if c.rfm_segment is None
            else (c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment),
        )
        for c in rows
    }


class TestRecomputeSegments:
    async def test_hand_computed_fixture(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)

        counts = await recompute_segments(Principal.system(org), now=NOW)

        assert await state_of(org) == EXPECTED
        # Written: the 12 scored and the merged one (stage, stale scores cleared); not 13.
        assert counts == RecomputeCounts(changed=13, scored=12)

    async def test_scores_match_segment_for(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)
        await recompute_segments(Principal.system(org), now=NOW)
        for c in await Customer.filter(organization_id=org, rfm_segment__not_isnull=True):
            assert c.rfm_recency is not None
            assert c.rfm_frequency is not None
            assert c.rfm_monetary is not None
            assert c.rfm_segment is segment_for(c.rfm_recency, c.rfm_frequency, c.rfm_monetary)

    async def test_sql_stages_agree_with_stage_for(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)
        await recompute_segments(Principal.system(org), now=NOW)
        for c in await Customer.filter(organization_id=org):
            assert c.lifecycle_stage is stage_for(
                c.order_count, c.last_order_at, NOW, LoyaltyProgram()
            )

    async def test_running_twice_changes_nothing(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)
        await recompute_segments(Principal.system(org), now=NOW)

        again = await recompute_segments(Principal.system(org), now=NOW)

        assert again == RecomputeCounts(changed=0, scored=12)
        assert await state_of(org) == EXPECTED

    async def test_follows_new_orders_and_time(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)
        await recompute_segments(Principal.system(org), now=NOW)
        # Customer 13 buys for the first time, big: it becomes the most recent and biggest.
        member = await Customer.get(id=fixed_id(org, 13))
        await Customer.filter(id=member.id).update(
            order_count=1,
            total_spent=Decimal("5000.00"),
            first_order_at=NOW,
            last_order_at=NOW,
        )

        counts = await recompute_segments(Principal.system(org), now=NOW)

        state = await state_of(org)
        # One order, like the four other one-time buyers: F1 with them, whatever its id.
        assert state[13] == (Stage.ONE_TIME_BUYER, (5, 1, 5, Seg.POTENTIAL_LOYALIST))
        assert counts.scored == 13
        # Its arrival moves others across quintile boundaries too.
        moved = {n for n in range(1, 13) if state[n][1] != EXPECTED[n][1]}
        assert counts.changed == 1 + len(moved)
        assert moved

        # A year later nobody has bought again: everyone is LOST, the ranking is the same.
        await recompute_segments(Principal.system(org), now=NOW + dt.timedelta(days=366))
        later = await state_of(org)
        assert {stage for stage, _ in later.values()} == {Stage.LOST}
        assert {n: rfm for n, (_, rfm) in later.items()} == {
            n: rfm for n, (_, rfm) in state.items()
        }

    async def test_customer_without_orders_loses_its_scores(self) -> None:
        org = await new_organization("Fixture")
        await build_fixture(org)
        await recompute_segments(Principal.system(org), now=NOW)
        # Customer 9's only order is refunded: the order service zeroes its statistics.
        await Customer.filter(id=fixed_id(org, 9)).update(
            order_count=0, total_spent=Decimal(0), first_order_at=None, last_order_at=None
        )

        counts = await recompute_segments(Principal.system(org), now=NOW)

        assert (await state_of(org))[9] == (Stage.MEMBER, None)
        assert counts.scored == 11

    async def test_thresholds_and_ranking_are_per_organization(self) -> None:
        short = await new_organization("Short", {"at_risk_after_days": 30, "lost_after_days": 90})
        default = await new_organization("Default")
        for org in (short, default):
            # (number, days ago, orders)
            for number, days, orders in [(1, 10, 2), (2, 31, 2), (3, 60, 1), (4, 91, 2)]:
                await add_customer(org, number, days_ago=days, totals=("10.00",) * orders)
        await add_customer(default, 5, days_ago=200, totals=("10.00",))

        await recompute_segments(Principal.system(short), now=NOW)

        def stages(rows: list[Customer]) -> dict[str, Stage]:
            return {c.first_name: c.lifecycle_stage for c in rows}

        assert stages(await Customer.filter(organization_id=short)) == {
            "C01": Stage.ACTIVE,
            "C02": Stage.AT_RISK,
            "C03": Stage.AT_RISK,
            "C04": Stage.LOST,
        }
        untouched = await Customer.filter(organization_id=default)
        assert {c.lifecycle_stage for c in untouched} == {Stage.MEMBER}
        assert {c.rfm_segment for c in untouched} == {None}

        await recompute_segments(Principal.system(default), now=NOW)

        assert stages(await Customer.filter(organization_id=default)) == {
            "C01": Stage.ACTIVE,
            "C02": Stage.ACTIVE,
            "C03": Stage.ONE_TIME_BUYER,
            "C04": Stage.ACTIVE,
            "C05": Stage.AT_RISK,
        }
        # Quintiles are within each organization: 4 customers give R 1..4 in "Short",
        # 5 customers give R 1..5 in "Default".
        short_r = [
            c.rfm_recency for c in await Customer.filter(organization_id=short).order_by("id")
        ]
        default_r = [
            c.rfm_recency for c in await Customer.filter(organization_id=default).order_by("id")
        ]
        assert short_r == [4, 3, 2, 1]
        assert default_r == [5, 4, 3, 2, 1]

    async def test_segment_sql_is_the_table(self, backend: str) -> None:
        """The generated CASE gives segment_for's answer for all 125 score triples."""
        conn = connections.get("default")
        sql = _Sql(conn.capabilities.dialect)
        case = _segment_case(sql, "r", "f", "m")
        triples = list(itertools.product(range(1, 6), repeat=3))
        rows = " UNION ALL ".join(f"SELECT {r} AS r, {f} AS f, {m} AS m" for r, f, m in triples)
        result = await conn.execute_query_dict(
            f"SELECT r, f, m, {case} AS segment FROM ({rows}) AS t", sql.values
        )
        got = {(row["r"], row["f"], row["m"]): row["segment"] for row in result}
        assert got == {t: segment_for(*t).value for t in triples}


class TestRefreshCustomerStage:
    async def test_writes_the_stage_when_it_changes(self) -> None:
        org = await new_organization("Fixture")
        customer = await add_customer(org, 1, days_ago=3, totals=("10.00", "12.00"))
        assert (await reload(customer)).lifecycle_stage is Stage.MEMBER

        stage = await refresh_customer_stage(Principal.system(org), customer, now=NOW)

        assert stage is Stage.ACTIVE
        assert customer.lifecycle_stage is Stage.ACTIVE
        assert (await reload(customer)).lifecycle_stage is Stage.ACTIVE

    async def test_uses_the_organization_program(self) -> None:
        org = await new_organization("Short", {"at_risk_after_days": 30, "lost_after_days": 90})
        customer = await add_customer(org, 1, days_ago=45, totals=("10.00",))

        assert (
            await refresh_customer_stage(Principal.system(org), customer, now=NOW) is Stage.AT_RISK
        )
        assert (await reload(customer)).lifecycle_stage is Stage.AT_RISK
