"""The finance figures: the points liability and the ledger summary a finance team reconciles.

Both are set-based statements over the organization's rows (app/wallets/repository.py). The
ledger summary's months are calendar months in the organization's time zone; their
boundaries are computed here so SQLite and PostgreSQL group entries identically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import InvalidArgument
from app.models.wallet import LedgerKind
from app.organizations.profile import load_profile
from app.wallets import repository

EXPIRY_HORIZONS_DAYS = (30, 60, 90)
MAX_SUMMARY_PERIODS = 36


@dataclass(frozen=True)
class ExpiringPoints:
    within_days: int
    points: int
    value: Decimal


@dataclass(frozen=True)
class PointsLiability:
    as_of: dt.datetime
    outstanding_points: int
    point_value: Decimal
    value: Decimal
    expiring: list[ExpiringPoints]


def money(points: int, point_value: Decimal) -> Decimal:
    return (point_value * points).quantize(Decimal("0.01"))


async def points_liability(principal: Principal) -> PointsLiability:
    """Points the organization owes its customers, their money value at the program's point
    value, and how much of it expires within 30, 60 and 90 days (cumulative)."""
    principal.require(Operation.FINANCE_READ)
    org = principal.organization_id
    now = utcnow()
    point_value = (await load_profile(org)).program.point_value
    outstanding = await repository.outstanding_points(org)
    expiring = await repository.expiring_points(
        org, [now + dt.timedelta(days=days) for days in EXPIRY_HORIZONS_DAYS]
    )
    return PointsLiability(
        as_of=now,
        outstanding_points=outstanding,
        point_value=point_value,
        value=money(outstanding, point_value),
        expiring=[
            ExpiringPoints(days, points, money(points, point_value))
            for days, points in zip(EXPIRY_HORIZONS_DAYS, expiring, strict=True)
        ],
    )


class LedgerPeriod(StrEnum):
    MONTH = "MONTH"


# Which ledger kinds each column of the summary adds up (signed: credits positive).
SUMMARY_COLUMNS: dict[str, tuple[LedgerKind, ...]] = {
    "issued": (LedgerKind.EARN,),
    # EARN taken back because its order was refunded or voided.
    "reversed": (LedgerKind.REFUND,),
    "redeemed": (LedgerKind.REDEEM,),
    "expired": (LedgerKind.EXPIRE,),
    "adjusted": (LedgerKind.ADJUST,),
    # Points moved between customers by merges and unmerges: they sum to 0 once all moved.
    "merged": (LedgerKind.MERGE_IN, LedgerKind.MERGE_OUT, LedgerKind.UNMERGE),
    "erased": (LedgerKind.ERASE,),
}


@dataclass(frozen=True)
class LedgerSummaryRow:
    start: dt.date
    end: dt.date
    points: dict[str, int]
    net: int
    entries: int


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of each month from `start`'s to the one after `end`'s."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_SUMMARY_PERIODS:
        raise InvalidArgument(f"A ledger summary covers at most {MAX_SUMMARY_PERIODS} months.")
    return [
        dt.date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for i in range(months + 1)
    ]


async def ledger_summary(
    principal: Principal, start: dt.date, end: dt.date, group_by: LedgerPeriod
) -> list[LedgerSummaryRow]:
    """Ledger movements from `start` to `end` (both included, local dates) per month: the
    first and last month are cut to the range. `net` is the change of all balances."""
    principal.require(Operation.FINANCE_READ)
    if end < start:
        raise InvalidArgument("`to` must not be before `from`.")
    if group_by is not LedgerPeriod.MONTH:
        raise InvalidArgument("Ledger summaries are grouped by MONTH.")
    zone = ZoneInfo((await load_profile(principal.organization_id)).timezone)
    firsts = month_starts(start, end)
    days = [start, *firsts[1:-1], end + dt.timedelta(days=1)]
    bounds = [dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC) for day in days]
    sums = await repository.ledger_sums(principal.organization_id, bounds)
    rows = []
    for index, by_kind in enumerate(sums):
        points = {
            column: sum(by_kind.get(kind, (0, 0))[0] for kind in kinds)
            for column, kinds in SUMMARY_COLUMNS.items()
        }
        rows.append(
            LedgerSummaryRow(
                start=days[index],
                end=days[index + 1] - dt.timedelta(days=1),
                points=points,
                net=sum(p for p, _ in by_kind.values()),
                entries=sum(n for _, n in by_kind.values()),
            )
        )
    return rows
