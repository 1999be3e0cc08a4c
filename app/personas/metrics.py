"""Per-persona figures from per-customer features: medians for money, frequency and recency;
per-customer rates averaged; counts winsorized at the whole base's 99th percentile, so one huge
customer moves a persona's figures no more than any other member.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.personas.features import Col, CustomerFeatures
from app.personas.model import DAYS_PER_MONTH, MIN_TENURE_DAYS, interval_variation

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


@dataclass
class Customers:
    """Derived per-customer values the portraits aggregate."""

    order_value: F64
    spend: F64
    orders: F64
    frequency: F64
    recency: F64
    redemption_rate: F64
    redeemer: Mask
    referrals: F64
    age: F64
    birthday_known: Mask
    birthday_month_orders: F64
    earned: F64
    # Raw per-customer amounts and their denominators (shares are computed per group, so no
    # customers x vocabulary matrix of shares is ever held).
    categories: npt.NDArray[np.float32]
    tags: npt.NDArray[np.float32]
    item_spend: npt.NDArray[np.float32]
    items: npt.NDArray[np.float32]
    country: npt.NDArray[np.int64]
    city: npt.NDArray[np.int64]
    interval_variation: F64
    intervals_measured: Mask
    days_between_orders: F64
    units: F64
    unit_orders: F64
    # 1: predicted at HIGH churn risk, 0: LOW or MEDIUM, -1: no predictions.
    high_churn_risk: F64


def _winsorize(values: F64) -> F64:
    if not len(values):
        return values
    cap = float(np.percentile(values, 99))
    clipped: F64 = np.minimum(values, cap)
    return clipped


def per_customer(features: CustomerFeatures) -> Customers:
    col = features.column

    def f64(c: Col) -> F64:
        return col(c).astype(np.float64)

    orders = f64(Col.ORDERS)
    spend = np.maximum(f64(Col.SPENT), 0.0)
    earned = f64(Col.EARNED_POINTS)
    redeemed = f64(Col.REDEEMED_POINTS)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(earned > 0, np.clip(redeemed / earned, 0.0, 1.0), 0.0)
    age = f64(Col.AGE)
    variation, measured = interval_variation(features)
    return Customers(
        interval_variation=variation.astype(np.float64),
        intervals_measured=measured,
        days_between_orders=f64(Col.GAP_MEAN_DAYS),
        units=f64(Col.UNITS),
        unit_orders=f64(Col.UNIT_ORDERS),
        high_churn_risk=f64(Col.HIGH_CHURN_RISK),
        order_value=spend / np.maximum(orders, 1.0),
        spend=_winsorize(spend),
        orders=_winsorize(orders),
        frequency=orders / np.maximum(f64(Col.TENURE_DAYS), MIN_TENURE_DAYS) * DAYS_PER_MONTH,
        recency=f64(Col.RECENCY_DAYS),
        redemption_rate=rate,
        redeemer=f64(Col.REDEMPTIONS) > 0,
        referrals=_winsorize(np.maximum(f64(Col.REFERRALS), 0.0)),
        age=age,
        birthday_known=~np.isnan(age),
        birthday_month_orders=f64(Col.BIRTHDAY_MONTH_ORDERS),
        earned=earned,
        categories=features.categories,
        tags=features.tags,
        item_spend=col(Col.ITEM_SPEND),
        items=col(Col.ITEMS),
        country=col(Col.COUNTRY).astype(np.int64),
        city=col(Col.CITY).astype(np.int64),
    )


@dataclass(frozen=True)
class Metrics:
    """Aggregates of one group (or of the whole base)."""

    size: int
    median_order_value: float
    average_order_value: float
    average_spend: float
    orders_per_customer: float
    orders_per_month: float
    median_recency_days: float
    redemption_rate: float
    redeemer_share: float
    referrals_per_customer: float
    referrer_share: float
    birthday_known_share: float
    birthday_month_share: float
    median_age: float | None
    lifetime_points_p75: float
    # Among customers with 3 orders or more: median variation of the days between orders.
    interval_variation: float
    median_days_between_orders: float
    repeat_share: float
    category_share: F64
    tag_share: F64
    # Absolute shares of members, against the organization's own thresholds (not the base):
    # bought exactly once; past the lifecycle's at-risk and lost days without an order.
    one_time_share: float = 0.0
    # Units per order over the orders whose unit count is known (0: none is).
    units_per_order: float = 0.0
    at_risk_share: float = 0.0
    lost_share: float = 0.0
    # Among members with predictions: the share at HIGH churn risk; None when none has any
    # (no prediction model, or none fitted yet).
    high_churn_share: float | None = None


def _median(values: F64) -> float:
    return float(np.median(values)) if len(values) else 0.0


def _share(condition: Mask, mask: Mask) -> float:
    size = int(mask.sum())
    return float((condition & mask).sum()) / size if size else 0.0


def metrics_of(
    c: Customers, mask: Mask, *, at_risk_after_days: float = 180, lost_after_days: float = 365
) -> Metrics:
    """The group's figures; the lifecycle thresholds are the organization's (at-risk and lost
    days), so "lapsed" means the same here as in the customer's lifecycle stage."""
    size = int(mask.sum())
    known = mask & c.birthday_known
    orders_known = float(c.orders[known].sum()) if known.any() else 0.0
    ages = c.age[known]
    return Metrics(
        size=size,
        median_order_value=_median(c.order_value[mask]),
        average_order_value=float(np.mean(_winsorize_like(c.order_value, mask))),
        average_spend=float(c.spend[mask].mean()) if size else 0.0,
        orders_per_customer=float(c.orders[mask].mean()) if size else 0.0,
        orders_per_month=_median(c.frequency[mask]),
        median_recency_days=_median(c.recency[mask]),
        redemption_rate=float(c.redemption_rate[mask].mean()) if size else 0.0,
        redeemer_share=float(c.redeemer[mask].mean()) if size else 0.0,
        referrals_per_customer=float(c.referrals[mask].mean()) if size else 0.0,
        referrer_share=float((c.referrals[mask] > 0).mean()) if size else 0.0,
        birthday_known_share=float(c.birthday_known[mask].mean()) if size else 0.0,
        birthday_month_share=(
            float(c.birthday_month_orders[known].sum()) / orders_known if orders_known else 0.0
        ),
        median_age=float(np.median(ages)) if len(ages) else None,
        lifetime_points_p75=float(np.percentile(c.earned[mask], 75)) if size else 0.0,
        interval_variation=_median(c.interval_variation[mask & c.intervals_measured]),
        median_days_between_orders=_median(c.days_between_orders[mask & c.intervals_measured]),
        repeat_share=float(c.intervals_measured[mask].mean()) if size else 0.0,
        category_share=_mean_share(c.categories, c.item_spend, mask),
        tag_share=_mean_share(c.tags, c.items, mask),
        one_time_share=_share(c.orders <= 1, mask),
        units_per_order=_per(c.units, c.unit_orders, mask),
        at_risk_share=_share(c.recency >= at_risk_after_days, mask),
        lost_share=_share(c.recency >= lost_after_days, mask),
        high_churn_share=_known_share(c.high_churn_risk, mask),
    )


def _known_share(flags: F64, mask: Mask) -> float | None:
    """The share of 1s among the members whose flag is known (not -1)."""
    known = mask & (flags >= 0)
    size = int(known.sum())
    return float((flags[known] > 0).sum()) / size if size else None


def _per(amounts: F64, counts: F64, mask: Mask) -> float:
    total = float(counts[mask].sum())
    return float(amounts[mask].sum()) / total if total > 0 else 0.0


def _mean_share(
    amounts: npt.NDArray[np.float32], totals: npt.NDArray[np.float32], mask: Mask
) -> F64:
    """Mean over the group of each customer's share (amount / total, 0..1; 0 without total)."""
    if not mask.any() or not amounts.shape[1]:
        return np.zeros(amounts.shape[1])
    total = totals[mask][:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, amounts[mask] / total, 0.0)
    out: F64 = np.clip(share, 0.0, 1.0).mean(axis=0, dtype=np.float64)
    return out


def _winsorize_like(values: F64, mask: Mask) -> F64:
    if not mask.any():
        return np.zeros(1)
    cap = float(np.percentile(values, 99)) if len(values) else 0.0
    out: F64 = np.minimum(values[mask], cap)
    return out
