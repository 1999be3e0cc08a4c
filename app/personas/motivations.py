"""Motivations: which rules a persona's figures fire against the whole base, with the evidence.

See `app.personas.explain` for the table of rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.organizations.program import LoyaltyProgram
from app.personas.metrics import Metrics
from app.personas.portrait_json import EvidenceJson, MotivationJson


class MotivationKey(StrEnum):
    """Why a persona buys (see the rules above)."""

    TRANSACTIONAL_VALUE = "TRANSACTIONAL_VALUE"
    BELONGING = "BELONGING"
    EXCLUSIVITY = "EXCLUSIVITY"
    RECOGNITION = "RECOGNITION"
    ROUTINE = "ROUTINE"
    RENEWAL = "RENEWAL"
    TRIAL = "TRIAL"
    COMMITMENT = "COMMITMENT"
    MOMENTUM = "MOMENTUM"


@dataclass(frozen=True)
class Rule:
    key: str
    label: str


TRANSACTIONAL_VALUE = Rule(MotivationKey.TRANSACTIONAL_VALUE, "Transactional value")
BELONGING = Rule(MotivationKey.BELONGING, "Belonging")
EXCLUSIVITY = Rule(MotivationKey.EXCLUSIVITY, "Exclusivity")
RECOGNITION = Rule(MotivationKey.RECOGNITION, "Recognition")
ROUTINE = Rule(MotivationKey.ROUTINE, "Routine")
RENEWAL = Rule(MotivationKey.RENEWAL, "Renewal")
TRIAL = Rule(MotivationKey.TRIAL, "Trial")
COMMITMENT = Rule(MotivationKey.COMMITMENT, "Commitment")
MOMENTUM = Rule(MotivationKey.MOMENTUM, "Momentum")
RULES = (
    TRANSACTIONAL_VALUE,
    BELONGING,
    EXCLUSIVITY,
    RECOGNITION,
    ROUTINE,
    RENEWAL,
    TRIAL,
    COMMITMENT,
    MOMENTUM,
)
# Absolute thresholds (shares of the persona's own members, whatever the base looks like).
LAPSED_SHARE = 0.5
# Predicted churn (app.predictions): a persona mostly at HIGH churn risk needs winning back
# even before its members pass the lifecycle's lost threshold.
HIGH_CHURN_SHARE = 0.5
ONE_TIME_SHARE = 0.6
COMMITMENT_LIFT = 2.0
MOMENTUM_RECENCY = 0.5


def _ratio(value: float, base: float) -> float:
    if base <= 0:
        return float("inf") if value > 0 else 1.0
    return value / base


def _score(lift: float, span: float) -> float:
    if lift == float("inf"):
        return 1.0
    return round(min(max((lift - 1.0) / span, 0.0), 1.0), 3)


def pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _evidence(metric: str, label: str, value: float, base: float, description: str) -> EvidenceJson:
    lift = _ratio(value, base)
    return {
        "metric": metric,
        "label": label,
        "value": round(value, 4),
        "baseValue": round(base, 4),
        "lift": round(lift, 3) if lift != float("inf") else None,
        "description": description,
    }


def _recency(g: Metrics, base: Metrics, more: str = "") -> EvidenceJson:
    return _evidence(
        "medianRecencyDays",
        "Days since the last order (median)",
        g.median_recency_days,
        base.median_recency_days,
        f"Last bought {g.median_recency_days:.0f} days ago"
        f" (whole base: {base.median_recency_days:.0f}{more}).",
    )


def motivations(g: Metrics, base: Metrics, program: LoyaltyProgram) -> list[MotivationJson]:
    """The rules of `app.personas.explain`'s docstring, strongest first."""
    found: list[MotivationJson] = []

    strength: dict[str, float] = {}

    def add(rule: Rule, lift: float, span: float, evidence: list[EvidenceJson]) -> None:
        score = _score(lift, span)
        if score > 0:
            strength[rule.key] = 1e9 if lift == float("inf") else (lift - 1.0) / span
            found.append(
                {"key": rule.key, "label": rule.label, "score": score, "evidence": evidence}
            )

    lift = _ratio(g.redemption_rate, base.redemption_rate)
    if g.redemption_rate >= 0.2 and lift >= 1.25:
        add(
            TRANSACTIONAL_VALUE,
            lift,
            1.0,
            [
                _evidence(
                    "redemptionRate",
                    "Share of earned points redeemed",
                    g.redemption_rate,
                    base.redemption_rate,
                    f"Redeems {pct(g.redemption_rate)} of the points it earns"
                    f" (whole base: {pct(base.redemption_rate)}).",
                ),
                _evidence(
                    "redeemerShare",
                    "Customers who redeemed",
                    g.redeemer_share,
                    base.redeemer_share,
                    f"{pct(g.redeemer_share)} have redeemed points"
                    f" (whole base: {pct(base.redeemer_share)}).",
                ),
            ],
        )

    lift = _ratio(g.referrals_per_customer, base.referrals_per_customer)
    if g.referrals_per_customer >= 0.25 and lift >= 1.5:
        add(
            BELONGING,
            lift,
            3.0,
            [
                _evidence(
                    "referralsPerCustomer",
                    "Customers referred per customer",
                    g.referrals_per_customer,
                    base.referrals_per_customer,
                    f"Brings {g.referrals_per_customer:.2f} new customers each"
                    f" (whole base: {base.referrals_per_customer:.2f}).",
                ),
                _evidence(
                    "referrerShare",
                    "Customers who referred someone",
                    g.referrer_share,
                    base.referrer_share,
                    f"{pct(g.referrer_share)} referred at least one customer"
                    f" (whole base: {pct(base.referrer_share)}).",
                ),
            ],
        )

    lift = _ratio(g.median_order_value, base.median_order_value)
    frequency = _ratio(g.orders_per_month, base.orders_per_month)
    # The mean order value must agree with the median: a few big baskets in a group of
    # small ones are not exclusivity.
    mean_lift = _ratio(g.average_order_value, base.average_order_value)
    if lift >= 1.4 and mean_lift >= 1.0 and frequency <= 1.0:
        add(
            EXCLUSIVITY,
            lift,
            1.5,
            [
                _evidence(
                    "medianOrderValue",
                    "Median order value",
                    g.median_order_value,
                    base.median_order_value,
                    f"Spends {g.median_order_value:.2f} per order"
                    f" (whole base: {base.median_order_value:.2f}).",
                ),
                _evidence(
                    "ordersPerMonth",
                    "Orders per month",
                    g.orders_per_month,
                    base.orders_per_month,
                    f"Buys {g.orders_per_month:.2f} times a month"
                    f" (whole base: {base.orders_per_month:.2f}): rarely, but big.",
                ),
            ],
        )

    lift = _ratio(g.birthday_month_share, base.birthday_month_share)
    if g.birthday_month_share >= 1.3 / 12 and lift >= 1.3:
        add(
            RECOGNITION,
            lift,
            1.0,
            [
                _evidence(
                    "birthdayMonthOrderShare",
                    "Share of orders in the birthday month",
                    g.birthday_month_share,
                    base.birthday_month_share,
                    f"Places {pct(g.birthday_month_share)} of its orders in the birthday month"
                    f" (whole base: {pct(base.birthday_month_share)}; evenly spread: 8%).",
                ),
                _evidence(
                    "birthdayKnownShare",
                    "Customers who gave a birthday",
                    g.birthday_known_share,
                    base.birthday_known_share,
                    f"{pct(g.birthday_known_share)} gave their birthday"
                    f" (whole base: {pct(base.birthday_known_share)}).",
                ),
            ],
        )

    steadiness = _ratio(base.interval_variation, g.interval_variation)
    recency = _ratio(g.median_recency_days, base.median_recency_days)
    if g.repeat_share >= 0.5 and steadiness >= 1.3 and recency <= 1.0:
        add(
            ROUTINE,
            steadiness,
            1.0,
            [
                _evidence(
                    "intervalVariation",
                    "Variation of the days between orders (median)",
                    g.interval_variation,
                    base.interval_variation,
                    f"Comes back every {g.median_days_between_orders:.0f} days like clockwork:"
                    f" intervals vary by {pct(g.interval_variation)}"
                    f" (whole base: {pct(base.interval_variation)}).",
                ),
                _recency(g, base),
            ],
        )

    _renewal(g, base, program, add)
    _trial(g, base, add)
    _commitment(g, base, add)
    if not found:
        _momentum(g, base, add)
    # Scores are capped at 1; the uncapped strength orders two capped motivations.
    found.sort(key=lambda m: (-m["score"], -strength[m["key"]], m["key"]))
    return found


class _Add(Protocol):
    def __call__(
        self, rule: Rule, lift: float, span: float, evidence: list[EvidenceJson]
    ) -> None: ...


def _renewal(g: Metrics, base: Metrics, program: LoyaltyProgram, add: _Add) -> None:
    """Lapsed against the base (relative) or past the organization's own lost threshold
    (absolute): when most of the base is lapsed, the relative test alone finds nobody."""
    ratio = _ratio(g.median_recency_days, base.median_recency_days)
    relative = ratio >= 2.0 and g.median_recency_days >= program.at_risk_after_days
    absolute = g.lost_share >= LAPSED_SHARE
    churn = g.high_churn_share
    predicted = churn is not None and churn >= HIGH_CHURN_SHARE
    if not (relative or absolute or predicted):
        return
    # The strongest reading: (ratio - 1) / 2, or the lost (or predicted HIGH churn) share
    # above one half.
    lift = max(
        ratio if relative else 1.0,
        1.0 + 2.0 * (g.lost_share - LAPSED_SHARE) / 0.5,
        1.0 + 2.0 * ((churn or 0.0) - HIGH_CHURN_SHARE) / 0.5 if predicted else 1.0,
    )
    add(
        RENEWAL,
        lift,
        2.0,
        [
            _evidence(
                "lostShare",
                "Customers past the lost threshold",
                g.lost_share,
                base.lost_share,
                f"{pct(g.lost_share)} have not bought for {program.lost_after_days} days or"
                f" more, the organization's lost threshold (whole base: {pct(base.lost_share)});"
                f" {pct(g.at_risk_share)} are past {program.at_risk_after_days} days (at risk).",
            ),
            _recency(g, base, f"; at risk after {program.at_risk_after_days}"),
            *_churn_evidence(g, base),
        ],
    )


def _churn_evidence(g: Metrics, base: Metrics) -> list[EvidenceJson]:
    """The predicted share at HIGH churn risk, when the organization has predictions."""
    if g.high_churn_share is None or base.high_churn_share is None:
        return []
    return [
        _evidence(
            "highChurnRiskShare",
            "Customers at high churn risk (predicted)",
            g.high_churn_share,
            base.high_churn_share,
            f"{pct(g.high_churn_share)} are predicted at high churn risk, unlikely to buy"
            f" again without a reason to (whole base: {pct(base.high_churn_share)}).",
        )
    ]


def _trial(g: Metrics, base: Metrics, add: _Add) -> None:
    """Mostly one purchase: a first try that has not become a habit (absolute share)."""
    if g.one_time_share < ONE_TIME_SHARE:
        return
    add(
        TRIAL,
        g.one_time_share / 0.5,
        1.0,
        [
            _evidence(
                "oneTimeShare",
                "Customers with a single order",
                g.one_time_share,
                base.one_time_share,
                f"{pct(g.one_time_share)} bought once and never came back"
                f" (whole base: {pct(base.one_time_share)}).",
            ),
            _evidence(
                "ordersPerCustomer",
                "Orders per customer",
                g.orders_per_customer,
                base.orders_per_customer,
                f"{g.orders_per_customer:.1f} orders per customer"
                f" (whole base: {base.orders_per_customer:.1f}).",
            ),
        ],
    )


def _commitment(g: Metrics, base: Metrics, add: _Add) -> None:
    """Buys far more often and spends far more than the base: already committed."""
    orders = _ratio(g.orders_per_customer, base.orders_per_customer)
    spend = _ratio(g.average_spend, base.average_spend)
    if min(orders, spend) < COMMITMENT_LIFT:
        return
    add(
        COMMITMENT,
        min(orders, spend),
        3.0,
        [
            _evidence(
                "averageSpend",
                "Spend per customer",
                g.average_spend,
                base.average_spend,
                f"Spends {g.average_spend:.2f} each, {spend:.1f}× the whole base"
                f" ({base.average_spend:.2f}).",
            ),
            _evidence(
                "ordersPerCustomer",
                "Orders per customer",
                g.orders_per_customer,
                base.orders_per_customer,
                f"{g.orders_per_customer:.1f} orders each, {orders:.1f}× the whole base"
                f" ({base.orders_per_customer:.1f}).",
            ),
        ],
    )


def _momentum(g: Metrics, base: Metrics, add: _Add) -> None:
    """Bought much more recently than the base (only when no other rule says more)."""
    if base.median_recency_days <= 0 or g.at_risk_share >= LAPSED_SHARE:
        return
    ratio = _ratio(base.median_recency_days, max(g.median_recency_days, 1.0))
    if ratio < 1.0 / MOMENTUM_RECENCY:
        return
    add(
        MOMENTUM,
        ratio,
        4.0,
        [
            _evidence(
                "medianRecencyDays",
                "Days since the last order (median)",
                g.median_recency_days,
                base.median_recency_days,
                f"Last bought {g.median_recency_days:.0f} days ago, against"
                f" {base.median_recency_days:.0f} for the whole base: engaged right now.",
            ),
            _evidence(
                "atRiskShare",
                "Customers past the at-risk threshold",
                g.at_risk_share,
                base.at_risk_share,
                f"{pct(g.at_risk_share)} are past the at-risk threshold"
                f" (whole base: {pct(base.at_risk_share)}).",
            ),
        ],
    )
