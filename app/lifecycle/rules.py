"""Lifecycle stage and RFM segment rules, pure and in one place.

Lifecycle stage, from a customer's purchase statistics and the organization's thresholds
(`LoyaltyProgram.at_risk_after_days`, default 180, and `lost_after_days`, default 365), where
"older than N days" means `now - last_order_at > N days` (exactly N days is not older):

=================  ================================================================
MEMBER             no orders (order_count 0, or no known last order)
LOST               last order older than lost_after_days
AT_RISK            last order older than at_risk_after_days, not older than lost_after_days
ONE_TIME_BUYER     exactly one order, the last one within at_risk_after_days
ACTIVE             two or more orders, the last one within at_risk_after_days
=================  ================================================================

The rules are checked in that order, so a misconfigured program (lost before at-risk) still
gives every customer exactly one stage.

RFM: recency, frequency and monetary scores 1-5 by quintile among the live customers (ACTIVE
or ARCHIVED) of one organization who have at least one order; 5 is best (most recent last
order, most orders, most spent). A customer's score is the quintile of the share of scored
customers with a strictly *lower* value (`quintile`): 1 + floor(5 * lower / scored). Equal
values therefore always get equal scores (ties share the quintile where their run of equal
values starts), whatever the customers' ids or the order they were created in; the counts per
score and segment follow from the values alone. When half the base bought exactly once, all
of them score F = 1 and the next order count starts at F = 3: a quintile may be empty, never
split. Customers without orders have no scores and no segment. The segment is read from R
and FM, where FM = round-half-up((F + M) / 2):

=====  ==============  ==================  ==================  ================  ================
R/FM   1               2                   3                   4                 5
=====  ==============  ==================  ==================  ================  ================
5      NEW             POTENTIAL_LOYALIST  POTENTIAL_LOYALIST  CHAMPIONS         CHAMPIONS
4      PROMISING       POTENTIAL_LOYALIST  POTENTIAL_LOYALIST  LOYAL             CHAMPIONS
3      ABOUT_TO_SLEEP  ABOUT_TO_SLEEP      NEED_ATTENTION      LOYAL             LOYAL
2      HIBERNATING     HIBERNATING         AT_RISK             AT_RISK           CANNOT_LOSE_THEM
1      LOST            LOST                AT_RISK             CANNOT_LOSE_THEM  CANNOT_LOSE_THEM
=====  ==============  ==================  ==================  ================  ================

`SEGMENT_TABLE` below is that table and the only copy of it: `segment_for` reads it, and the SQL
of the recompute is generated from it.
"""

from __future__ import annotations

import datetime as dt

from app.models.customer import LifecycleStage, RfmSegment
from app.organizations.program import LoyaltyProgram

SCORES = (1, 2, 3, 4, 5)

_S = RfmSegment
# SEGMENT_TABLE[R] is the row for recency score R; its items are FM = 1..5.
SEGMENT_TABLE: dict[int, tuple[RfmSegment, RfmSegment, RfmSegment, RfmSegment, RfmSegment]] = {
    5: (_S.NEW, _S.POTENTIAL_LOYALIST, _S.POTENTIAL_LOYALIST, _S.CHAMPIONS, _S.CHAMPIONS),
    4: (_S.PROMISING, _S.POTENTIAL_LOYALIST, _S.POTENTIAL_LOYALIST, _S.LOYAL, _S.CHAMPIONS),
    3: (_S.ABOUT_TO_SLEEP, _S.ABOUT_TO_SLEEP, _S.NEED_ATTENTION, _S.LOYAL, _S.LOYAL),
    2: (_S.HIBERNATING, _S.HIBERNATING, _S.AT_RISK, _S.AT_RISK, _S.CANNOT_LOSE_THEM),
    1: (_S.LOST, _S.LOST, _S.AT_RISK, _S.CANNOT_LOSE_THEM, _S.CANNOT_LOSE_THEM),
}


def stage_for(
    order_count: int, last_order_at: dt.datetime | None, now: dt.datetime, program: LoyaltyProgram
) -> LifecycleStage:
    """The lifecycle stage of a customer with these statistics at `now` (see module doc)."""
    if order_count <= 0 or last_order_at is None:
        return LifecycleStage.MEMBER
    age = now - last_order_at
    if age > dt.timedelta(days=program.lost_after_days):
        return LifecycleStage.LOST
    if age > dt.timedelta(days=program.at_risk_after_days):
        return LifecycleStage.AT_RISK
    if order_count == 1:
        return LifecycleStage.ONE_TIME_BUYER
    return LifecycleStage.ACTIVE


def quintile(lower: int, scored: int) -> int:
    """The 1..5 score of a value that `lower` of the `scored` customers are strictly below.

    The SQL computes the same in integers (`RANK() - 1` is `lower`), on both databases.
    """
    if not 0 <= lower < scored:
        raise ValueError(f"need 0 <= lower < scored, got {lower} of {scored}")
    return 1 + 5 * lower // scored


def fm_score(frequency: int, monetary: int) -> int:
    """round-half-up((F + M) / 2) for scores 1..5, in integers as the SQL computes it."""
    return (frequency + monetary + 1) // 2


def segment_key(recency: int, fm: int) -> int:
    """R and FM folded into one integer (R * 10 + FM), the key the SQL CASE matches on."""
    return recency * 10 + fm


def segment_for(recency: int, frequency: int, monetary: int) -> RfmSegment:
    """The named segment of R, F, M scores (each 1..5), from `SEGMENT_TABLE`."""
    for name, score in (("recency", recency), ("frequency", frequency), ("monetary", monetary)):
        if score not in SCORES:
            raise ValueError(f"{name} score must be 1..5, got {score}")
    return SEGMENT_TABLE[recency][fm_score(frequency, monetary) - 1]


def segment_keys() -> dict[int, RfmSegment]:
    """Every (R, FM) cell of the table as `segment_key -> segment`, for generating SQL."""
    return {
        segment_key(r, fm): segment
        for r, row in SEGMENT_TABLE.items()
        for fm, segment in enumerate(row, start=1)
    }
