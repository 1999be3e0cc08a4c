"""Roadmap suggestions: concrete loyalty-program changes computed from a persona's figures,
each saying what share of its members would reach the suggested setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.organizations.program import LoyaltyProgram
from app.personas.metrics import Metrics
from app.personas.motivations import (
    BELONGING,
    EXCLUSIVITY,
    RECOGNITION,
    RENEWAL,
    ROUTINE,
    TRANSACTIONAL_VALUE,
    pct,
)


@dataclass(frozen=True)
class RoadmapSuggestion:
    rule_key: str
    title: str
    rationale: str
    suggested_setting: str


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def roadmap(
    keys: list[str], g: Metrics, base: Metrics, program: LoyaltyProgram, top_categories: list[str]
) -> list[RoadmapSuggestion]:
    """Concrete program changes for the motivations that fired, strongest first."""
    items: list[RoadmapSuggestion] = []
    favourites = ", ".join(top_categories[:2]) or "its favourite categories"
    for key in keys:
        if key == TRANSACTIONAL_VALUE.key:
            items.append(
                RoadmapSuggestion(
                    "transactional_value.tiered_discounts",
                    "Tiered discount rewards",
                    f"Redeems {pct(g.redemption_rate)} of its points against"
                    f" {pct(base.redemption_rate)} for the base: rewards it can reach and"
                    " spend quickly keep it coming back.",
                    "Reward steps at 250, 500 and 1,000 points worth 5%, 10% and 15% off;"
                    f" earning rate {program.points_per_currency_unit} point(s) per unit.",
                )
            )
            items.append(
                RoadmapSuggestion(
                    "transactional_value.double_points_days",
                    "Double-points days on its favourite categories",
                    "Bonus points steer price-sensitive buyers without a permanent discount.",
                    f"2× points one day a month on {favourites}.",
                )
            )
        elif key == BELONGING.key:
            current = program.referral_bonus_points
            items.append(
                RoadmapSuggestion(
                    "belonging.referral_program",
                    "Referral program and community events",
                    f"Brings {g.referrals_per_customer:.2f} new customers each against"
                    f" {base.referrals_per_customer:.2f} for the base: reward the network.",
                    f"Referral bonus {_round_to(max(current, 100) * 1.5, 50)} points (now"
                    f" {current}); one member event per quarter.",
                )
            )
            items.append(
                RoadmapSuggestion(
                    "belonging.welcome_bonus",
                    "Welcome bonus for referred friends",
                    "A gift for the friend makes the invitation easier to send.",
                    f"Referee bonus {max(program.referee_bonus_points, 100)} points (now"
                    f" {program.referee_bonus_points}).",
                )
            )
        elif key == EXCLUSIVITY.key:
            threshold = _round_to(max(g.lifetime_points_p75, 100.0), 100)
            top = max(program.tiers, key=lambda t: t.min_lifetime_points, default=None)
            items.append(
                RoadmapSuggestion(
                    "exclusivity.early_access",
                    "Early access to limited editions",
                    f"Orders of {g.median_order_value:.2f} against"
                    f" {base.median_order_value:.2f} for the base, bought rarely: access"
                    " matters more than discounts.",
                    "48-hour early access to new and limited products for members of this persona.",
                )
            )
            items.append(
                RoadmapSuggestion(
                    "exclusivity.top_tier",
                    "A top tier with premium perks",
                    "A tier this persona can reach, with perks money cannot buy elsewhere.",
                    f"A tier at {threshold} lifetime points"
                    + (
                        f" (highest today: {top.name} at {top.min_lifetime_points})."
                        if top
                        else "."
                    ),
                )
            )
        elif key == RECOGNITION.key:
            current = program.birthday_reward_points
            items.append(
                RoadmapSuggestion(
                    "recognition.birthday_rewards",
                    "Birthday and anniversary rewards",
                    f"Places {pct(g.birthday_month_share)} of its orders in its birthday month:"
                    " being remembered brings it in.",
                    f"Birthday reward {_round_to(max(current, 50) * 2, 50)} points (now"
                    f" {current}); a bonus on the membership anniversary.",
                )
            )
        elif key == ROUTINE.key:
            interval = 30.44 / g.orders_per_month if g.orders_per_month > 0 else 30.0
            items.append(
                RoadmapSuggestion(
                    "routine.visit_streaks",
                    "Visit streak bonus",
                    f"Buys {g.orders_per_month:.2f} times a month: reward the habit itself.",
                    "+50 points on every 5th order within 30 days.",
                )
            )
            items.append(
                RoadmapSuggestion(
                    "routine.interval_reminders",
                    "Reminders at the usual interval",
                    "A nudge when a regular visit is overdue catches a lapse early.",
                    f"A reminder {max(round(interval * 1.5), 3)} days after the last order.",
                )
            )
        elif key == RENEWAL.key:
            items.append(
                RoadmapSuggestion(
                    "renewal.win_back",
                    "Win-back campaign",
                    f"Last bought {g.median_recency_days:.0f} days ago (median): it needs a"
                    " reason to return.",
                    f"2× points for 30 days for customers inactive"
                    f" {program.at_risk_after_days}+ days.",
                )
            )
            if program.points_expire_after_days:
                items.append(
                    RoadmapSuggestion(
                        "renewal.expiry_reminder",
                        "Points-expiry reminder",
                        "Points about to expire are a concrete reason to come back.",
                        "A reminder 30 days before points expire"
                        f" (they expire after {program.points_expire_after_days} days).",
                    )
                )
    return items
