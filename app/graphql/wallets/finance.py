"""The finance figures: points liability and the monthly ledger summary (finance:read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from app.wallets.service import LedgerPeriod, LedgerSummaryRow, PointsLiability

strawberry.enum(LedgerPeriod, description="MONTH: calendar months in the organization's zone.")


@strawberry.type
class ExpiringPointsType:
    within_days: int
    points: int = strawberry.field(description="Unspent points of lots expiring by then.")
    value: Decimal


@strawberry.type(
    name="PointsLiability",
    description="What the program owes its customers now: the balances of every wallet.",
)
class PointsLiabilityType:
    as_of: dt.datetime
    outstanding_points: int = strawberry.field(description="The sum of all balances.")
    point_value: Decimal = strawberry.field(description="The program's value of one point.")
    value: Decimal = strawberry.field(description="outstandingPoints × pointValue.")
    expiring: list[ExpiringPointsType] = strawberry.field(
        description="Points expiring within 30, 60 and 90 days (each includes the shorter)."
    )

    @classmethod
    def of(cls, found: PointsLiability) -> PointsLiabilityType:
        return cls(
            as_of=found.as_of,
            outstanding_points=found.outstanding_points,
            point_value=found.point_value,
            value=found.value,
            expiring=[
                ExpiringPointsType(within_days=e.within_days, points=e.points, value=e.value)
                for e in found.expiring
            ],
        )


@strawberry.type(
    name="LedgerSummaryPeriod",
    description="Signed sums of the ledger's movements in one period (credits positive, "
    "debits negative), so `net` = issued + reversed + redeemed + expired + adjusted + merged "
    "+ erased is the change of all balances over the period.",
)
class LedgerSummaryPeriodType:
    start: dt.date
    end: dt.date = strawberry.field(description="The last day included.")
    issued: int = strawberry.field(description="Points earned (EARN).")
    reversed: int = strawberry.field(description="Earned points taken back by refunds (REFUND).")
    redeemed: int
    expired: int
    adjusted: int = strawberry.field(description="Manual adjustments by staff (ADJUST).")
    merged: int = strawberry.field(
        description="Moved by merges and unmerges (MERGE_IN, MERGE_OUT, UNMERGE)."
    )
    erased: int = strawberry.field(description="Removed by privacy erasures (ERASE).")
    net: int
    entries: int = strawberry.field(description="How many ledger entries the period holds.")

    @classmethod
    def of(cls, row: LedgerSummaryRow) -> LedgerSummaryPeriodType:
        p = row.points
        return cls(
            start=row.start,
            end=row.end,
            issued=p["issued"],
            reversed=p["reversed"],
            redeemed=p["redeemed"],
            expired=p["expired"],
            adjusted=p["adjusted"],
            merged=p["merged"],
            erased=p["erased"],
            net=row.net,
            entries=row.entries,
        )
