"""From groups to portraits: names, demographics, behaviours, motivations and roadmap items.

Pure and deterministic. Every number is an aggregate of a whole group, which the model keeps
at `min_size` customers or more; lists that could narrow a group down (cities, countries, age
bands, categories and tags) only show entries held by at least `min_size` customers. Nothing
here reads a name, an email, a phone or an id.

Robust statistics: medians for money, frequency and recency; per-customer rates (bounded 0..1)
averaged; counts winsorized at the whole base's 99th percentile. One huge customer moves a
persona's figures no more than any other member.

Motivation rules compare a persona with the whole base (lift = persona / base); the score is
(lift - 1) / span, capped to 0..1 (README, "Personas", has the same table):

    TRANSACTIONAL_VALUE  redemption rate >= 20% and >= 1.25x the base (span 1)
                         -> tiered discount rewards; double-points days
    BELONGING            referrals per customer >= 0.25 and >= 1.5x the base (span 3)
                         -> referral program and community events; welcome bonus for friends
    EXCLUSIVITY          median order value >= 1.4x the base, frequency <= the base (span 1.5)
                         -> early access to limited editions; a top tier with premium perks
    RECOGNITION          share of orders in the birthday month >= 1.3x the base and >= 1.3/12
                         (span 1) -> birthday and anniversary rewards
    ROUTINE              half or more with 3+ orders, intervals between orders >= 1.3x steadier
                         than the base (median variation), recency <= the base (span 1)
                         -> visit streak bonus; reminders at the usual interval
    RENEWAL              median days since the last order >= 2x the base and >= the program's
                         at-risk days (span 2) -> win-back campaign; points-expiry reminder

A persona's name comes from its strongest motivation ("Core Customers" when none fires);
two personas with the same name are told apart by their top category, then by a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from app.personas.features import Col, CustomerFeatures
from app.personas.model import DAYS_PER_MONTH, MIN_TENURE_DAYS, Clustering, interval_variation
from app.wallets.program import LoyaltyProgram

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 25, "under 25"),
    (25, 35, "25–34"),
    (35, 45, "35–44"),
    (45, 55, "45–54"),
    (55, 65, "55–64"),
    (65, 200, "65+"),
)
TOP_LOCATIONS = 5
TOP_LABELS = 5
OTHER_NAME = "Other"
DEFAULT_NAME = "Core Customers"


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


@dataclass(frozen=True)
class RoadmapSuggestion:
    rule_key: str
    title: str
    rationale: str
    suggested_setting: str


@dataclass
class Portrait:
    name: str
    size: int
    share: float
    is_other: bool
    demographics: dict[str, Any]
    behaviors: dict[str, Any]
    motivations: list[dict[str, Any]]
    roadmap: list[RoadmapSuggestion] = field(default_factory=list)


# --- per-customer metrics ---------------------------------------------------------------------


@dataclass
class _Customers:
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


def _winsorize(values: F64) -> F64:
    if not len(values):
        return values
    cap = float(np.percentile(values, 99))
    clipped: F64 = np.minimum(values, cap)
    return clipped


def _per_customer(features: CustomerFeatures) -> _Customers:
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
    return _Customers(
        interval_variation=variation.astype(np.float64),
        intervals_measured=measured,
        days_between_orders=f64(Col.GAP_MEAN_DAYS),
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


def _median(values: F64) -> float:
    return float(np.median(values)) if len(values) else 0.0


def _metrics(c: _Customers, mask: Mask) -> Metrics:
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
    )


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


# --- motivations ------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> float:
    if base <= 0:
        return float("inf") if value > 0 else 1.0
    return value / base


def _score(lift: float, span: float) -> float:
    if lift == float("inf"):
        return 1.0
    return round(min(max((lift - 1.0) / span, 0.0), 1.0), 3)


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _evidence(
    metric: str, label: str, value: float, base: float, description: str
) -> dict[str, Any]:
    lift = _ratio(value, base)
    return {
        "metric": metric,
        "label": label,
        "value": round(value, 4),
        "baseValue": round(base, 4),
        "lift": round(lift, 3) if lift != float("inf") else None,
        "description": description,
    }


def motivations(g: Metrics, base: Metrics, program: LoyaltyProgram) -> list[dict[str, Any]]:
    """The rules of the module docstring, strongest first."""
    found: list[dict[str, Any]] = []

    strength: dict[str, float] = {}

    def add(rule: Rule, lift: float, span: float, evidence: list[dict[str, Any]]) -> None:
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
                    f"Redeems {_pct(g.redemption_rate)} of the points it earns"
                    f" (whole base: {_pct(base.redemption_rate)}).",
                ),
                _evidence(
                    "redeemerShare",
                    "Customers who redeemed",
                    g.redeemer_share,
                    base.redeemer_share,
                    f"{_pct(g.redeemer_share)} have redeemed points"
                    f" (whole base: {_pct(base.redeemer_share)}).",
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
                    f"{_pct(g.referrer_share)} referred at least one customer"
                    f" (whole base: {_pct(base.referrer_share)}).",
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
                    f"Places {_pct(g.birthday_month_share)} of its orders in the birthday month"
                    f" (whole base: {_pct(base.birthday_month_share)}; evenly spread: 8%).",
                ),
                _evidence(
                    "birthdayKnownShare",
                    "Customers who gave a birthday",
                    g.birthday_known_share,
                    base.birthday_known_share,
                    f"{_pct(g.birthday_known_share)} gave their birthday"
                    f" (whole base: {_pct(base.birthday_known_share)}).",
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
                    f" intervals vary by {_pct(g.interval_variation)}"
                    f" (whole base: {_pct(base.interval_variation)}).",
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


# --- roadmap ----------------------------------------------------------------------------------


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
                    f"Redeems {_pct(g.redemption_rate)} of its points against"
                    f" {_pct(base.redemption_rate)} for the base: rewards it can reach and"
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
                    f"Places {_pct(g.birthday_month_share)} of its orders in its birthday month:"
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


# --- portraits --------------------------------------------------------------------------------


def _age_bands(c: _Customers, mask: Mask, min_size: int) -> list[dict[str, Any]]:
    size = int(mask.sum())
    out = []
    for low, high, label in AGE_BANDS:
        n = int((mask & c.birthday_known & (c.age >= low) & (c.age < high)).sum())
        if n >= min_size:
            out.append({"label": label, "share": round(n / size, 4)})
    return out


def _top_codes(
    codes: npt.NDArray[np.int64], mask: Mask, min_size: int, names: list[Any]
) -> list[tuple[Any, float]]:
    size = int(mask.sum())
    counts = np.bincount(codes[mask], minlength=len(names) + 1)
    ranked = sorted(
        ((int(counts[i]), i) for i in range(1, len(counts)) if counts[i] >= min_size),
        key=lambda x: (-x[0], x[1]),
    )
    return [(names[i - 1], round(n / size, 4)) for n, i in ranked[:TOP_LOCATIONS]]


def _labels(
    names: tuple[str, ...], share: F64, base_share: F64, holders: npt.NDArray[np.int64], k: int
) -> list[dict[str, Any]]:
    ranked = sorted(
        (i for i in range(len(names)) if share[i] > 0 and holders[i] >= k),
        key=lambda i: (-share[i], names[i]),
    )
    return [
        {
            "label": names[i],
            "share": round(float(share[i]), 4),
            "lift": round(float(share[i] / base_share[i]), 3) if base_share[i] > 0 else None,
        }
        for i in ranked[:TOP_LABELS]
    ]


def _unique_names(names: list[str], hints: list[str]) -> list[str]:
    out: list[str] = []
    for name, hint in zip(names, hints, strict=True):
        candidate = f"{name} ({hint})" if names.count(name) > 1 and hint else name
        base, number = candidate, 2
        while candidate in out:
            candidate = f"{base} {number}"
            number += 1
        out.append(candidate)
    return out


def portraits(
    features: CustomerFeatures, clustering: Clustering, program: LoyaltyProgram, min_size: int
) -> list[Portrait]:
    c = _per_customer(features)
    n = len(features)
    everyone = np.ones(n, dtype=np.bool_)
    base = _metrics(c, everyone)
    vocab = features.vocabulary
    out: list[Portrait] = []
    names: list[str] = []
    hints: list[str] = []
    for g in range(clustering.groups):
        mask = clustering.labels == g
        m = _metrics(c, mask)
        is_other = g == clustering.other
        holders_c = (c.categories[mask] > 0).sum(axis=0)
        holders_t = (c.tags[mask] > 0).sum(axis=0)
        top_categories = _labels(
            vocab.categories, m.category_share, base.category_share, holders_c, min_size
        )
        top_tags = _labels(vocab.tags, m.tag_share, base.tag_share, holders_t, min_size)
        demographics = {
            "medianAge": round(m.median_age, 1) if m.median_age is not None else None,
            "birthdayKnownShare": round(m.birthday_known_share, 4),
            "ageBands": _age_bands(c, mask, min_size),
            "topCountries": [
                {"label": name, "share": share}
                for name, share in _top_codes(c.country, mask, min_size, list(vocab.countries))
            ],
            "topCities": [
                {"city": place[1], "country": place[0] or None, "share": share}
                for place, share in _top_codes(c.city, mask, min_size, list(vocab.cities))
            ],
        }
        behaviors = {
            "averageOrderValue": round(m.average_order_value, 2),
            "medianOrderValue": round(m.median_order_value, 2),
            "averageSpend": round(m.average_spend, 2),
            "ordersPerCustomer": round(m.orders_per_customer, 2),
            "ordersPerMonth": round(m.orders_per_month, 3),
            "medianRecencyDays": round(m.median_recency_days, 1),
            "redemptionRate": round(m.redemption_rate, 4),
            "redeemerShare": round(m.redeemer_share, 4),
            "referralsPerCustomer": round(m.referrals_per_customer, 3),
            "referrerShare": round(m.referrer_share, 4),
            "birthdayMonthOrderShare": round(m.birthday_month_share, 4),
            "medianDaysBetweenOrders": round(m.median_days_between_orders, 1),
            "intervalVariation": round(m.interval_variation, 4),
            "topCategories": top_categories,
            "topTags": top_tags,
        }
        found = [] if is_other else motivations(m, base, program)
        keys = [f["key"] for f in found]
        rule = next((r for r in RULES if keys and r.key == keys[0]), None)
        names.append(OTHER_NAME if is_other else (rule.name if rule else DEFAULT_NAME))
        hints.append(top_categories[0]["label"] if top_categories else "")
        out.append(
            Portrait(
                name="",
                size=m.size,
                share=round(m.size / n, 4) if n else 0.0,
                is_other=is_other,
                demographics=demographics,
                behaviors=behaviors,
                motivations=found,
                roadmap=(
                    []
                    if is_other
                    else roadmap(keys, m, base, program, [t["label"] for t in top_categories])
                ),
            )
        )
    for portrait, name in zip(out, _unique_names(names, hints), strict=True):
        portrait.name = name[:120]
    return out
