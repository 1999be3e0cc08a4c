"""Motivations: which rules a persona's figures fire against the whole base, with the evidence.

See `app.personas.explain` for the table of rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    name: str


TRANSACTIONAL_VALUE = Rule(MotivationKey.TRANSACTIONAL_VALUE, "Transactional value", "Deal Seekers")
BELONGING = Rule(MotivationKey.BELONGING, "Belonging", "Community Connectors")
EXCLUSIVITY = Rule(MotivationKey.EXCLUSIVITY, "Exclusivity", "Premium Enthusiasts")
RECOGNITION = Rule(MotivationKey.RECOGNITION, "Recognition", "Celebration Lovers")
ROUTINE = Rule(MotivationKey.ROUTINE, "Routine", "Loyal Regulars")
RENEWAL = Rule(MotivationKey.RENEWAL, "Renewal", "Lapsed Shoppers")
RULES = (TRANSACTIONAL_VALUE, BELONGING, EXCLUSIVITY, RECOGNITION, ROUTINE, RENEWAL)


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
    if lift >= 1.4 and frequency <= 1.0:
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
                _evidence(
                    "medianRecencyDays",
                    "Days since the last order (median)",
                    g.median_recency_days,
                    base.median_recency_days,
                    f"Last bought {g.median_recency_days:.0f} days ago"
                    f" (whole base: {base.median_recency_days:.0f}).",
                ),
            ],
        )

    ratio = _ratio(g.median_recency_days, base.median_recency_days)
    if ratio >= 2.0 and g.median_recency_days >= program.at_risk_after_days:
        add(
            RENEWAL,
            ratio,
            2.0,
            [
                _evidence(
                    "medianRecencyDays",
                    "Days since the last order (median)",
                    g.median_recency_days,
                    base.median_recency_days,
                    f"Last bought {g.median_recency_days:.0f} days ago"
                    f" (whole base: {base.median_recency_days:.0f}; at risk after"
                    f" {program.at_risk_after_days}).",
                )
            ],
        )
    # Scores are capped at 1; the uncapped strength orders two capped motivations.
    found.sort(key=lambda m: (-m["score"], -strength[m["key"]], m["key"]))
    return found
