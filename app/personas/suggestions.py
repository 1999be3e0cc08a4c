"""Roadmap suggestions: concrete loyalty-program changes computed from a persona's own figures,
each checked for reach (the share of its members who would qualify) and saying that share.

What each setting is computed from:
- reminders: the persona's own days between orders (the figure its evidence quotes);
- streak and threshold rewards: the members' own pace, spend and points; suggested only when
  at least `MIN_REACH` of the members would reach them;
- tiers: lifetime points when members have any; when orders came without points (an import),
  spend instead, and the item says why;
- win-back and expiry: the organization's at-risk, lost and expiry days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from app.organizations.program import LoyaltyProgram
from app.personas.members import MIN_REACH, Members
from app.personas.metrics import Mask, Metrics
from app.personas.motivations import (
    BELONGING,
    COMMITMENT,
    EXCLUSIVITY,
    MOMENTUM,
    RECOGNITION,
    RENEWAL,
    ROUTINE,
    TRANSACTIONAL_VALUE,
    TRIAL,
    pct,
)

# A persona's roadmap has at least this many items when its figures support them.
MIN_ITEMS = 3
DAYS_PER_MONTH = 30.44
STREAK_BONUS = 50
# Candidate streaks, most demanding first: (orders, within days).
STREAKS = ((5, 30), (4, 30), (3, 30), (2, 30), (3, 60), (2, 60), (3, 90), (2, 90))
# A reminder goes out when the usual interval is this much overdue.
OVERDUE = 1.25
# Status and tier thresholds aim at this share of the members.
TIER_TARGET_REACH = 0.4
# The longest suggested setting a roadmap item stores (`app.personas.roadmap.MAX_SETTING`).
SETTING_LIMIT = 300
# Fill-in items for a short roadmap: at least this share of members must be concerned.
FILL_IN_SHARE = 0.3


@dataclass(frozen=True)
class RoadmapSuggestion:
    rule_key: str
    title: str
    rationale: str
    suggested_setting: str
    # 0..1: the share of the persona's members the setting reaches (also in the text).
    reach: float = 1.0


@dataclass(frozen=True)
class Context:
    g: Metrics
    base: Metrics
    program: LoyaltyProgram
    members: Members
    # The persona's top categories and their columns in `members.category_buyer`.
    favourites: Sequence[tuple[str, int]] = ()

    @property
    def favourite_names(self) -> str:
        return ", ".join(name for name, _ in self.favourites[:2]) or "its favourite categories"

    @property
    def has_points(self) -> bool:
        return bool(len(self.members)) and float(np.max(self.members.earned)) > 0


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def _qualify(share: float) -> str:
    return f" {pct(share)} of its members qualify."


def _item(
    key: str, title: str, rationale: str, setting: str, reach: float, said: str = ""
) -> RoadmapSuggestion:
    """`said`: the reach in the item's own words (default: "N% of its members qualify.").
    A long setting (category names) is shortened, never the share it reaches."""
    share = f" {said}" if said else _qualify(reach)
    room = SETTING_LIMIT - len(share)
    if len(setting) > room:
        setting = setting[: room - 1].rstrip() + "…"
    return RoadmapSuggestion(key, title, rationale, setting + share, round(reach, 4))


# --- settings checked for reach ---------------------------------------------------------------


def interval_days(c: Context) -> float | None:
    """The persona's own days between orders: the figure the routine evidence quotes (members
    with 3+ orders), else the mean gap of those who came back at least once, else their
    tenure over their orders."""
    if c.g.median_days_between_orders > 0:
        return c.g.median_days_between_orders
    m = c.members
    gaps = m.repeat_intervals
    gaps = gaps[gaps > 0]
    if len(gaps):
        return float(np.median(gaps))
    pace = m.frequency[(m.orders >= 2) & (m.frequency > 0)]
    return float(np.median(DAYS_PER_MONTH / pace)) if len(pace) else None


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def reminder(c: Context) -> RoadmapSuggestion | None:
    interval = interval_days(c)
    if interval is None:
        return None
    day = max(round(interval * OVERDUE), 3)
    reach = c.members.share(c.members.recency >= day)
    return _item(
        "routine.interval_reminders",
        "Reminders at the usual interval",
        f"Comes back every {interval:.0f} days (median): a nudge when a visit is a quarter"
        " overdue catches a lapse early.",
        f"A reminder {day} days after the last order.",
        reach,
        f"Today {pct(reach)} of its members are past that day.",
    )


def streak(c: Context) -> RoadmapSuggestion | None:
    """The most demanding streak at least `MIN_REACH` of the members reach at their own pace."""
    m = c.members
    for orders, days in STREAKS:
        pace = m.frequency * days / DAYS_PER_MONTH
        reach = m.share((m.orders >= orders) & (pace >= orders))
        if reach >= MIN_REACH:
            return _item(
                "routine.visit_streaks",
                "Visit streak bonus",
                f"Buys {c.g.orders_per_month:.2f} times a month (median): reward the habit at"
                " a pace its members already keep.",
                f"+{STREAK_BONUS} points on every {ordinal(orders)} order within {days} days.",
                reach,
            )
    return None


def on_time_bonus(c: Context) -> RoadmapSuggestion | None:
    """Points for coming back within the persona's own interval, when enough members do."""
    interval = interval_days(c)
    if interval is None:
        return None
    window = max(round(interval * 1.1), 3)
    m = c.members
    gaps = m.days_between_orders
    reach = m.share((m.orders >= 2) & (gaps > 0) & (gaps <= window))
    if reach < MIN_REACH:
        return None
    return _item(
        "routine.on_time_bonus",
        "Bonus for keeping the rhythm",
        f"Comes back every {interval:.0f} days (median): reward the next visit on that rhythm.",
        f"+{STREAK_BONUS} points on an order within {window} days of the previous one.",
        reach,
    )


def milestone(c: Context) -> RoadmapSuggestion | None:
    m = c.members
    if not len(m):
        return None
    orders = max(2, round(float(np.median(m.orders))))
    return _item(
        "commitment.milestone_thanks",
        "A thank-you at an order milestone",
        f"{c.g.orders_per_customer:.1f} orders each: a milestone half of it reaches anyway,"
        " marked.",
        f"A thank-you gift at the {ordinal(orders)} order.",
        m.share(m.orders >= orders),
    )


def double_points_days(c: Context) -> RoadmapSuggestion | None:
    if not c.favourites:
        return None
    return _item(
        "transactional_value.double_points_days",
        "Double-points days on its favourite categories",
        "Bonus points steer buyers to a visit without a permanent discount.",
        f"2× points one day a month on {c.favourite_names}.",
        favourites_reach(c),
    )


def status_threshold(c: Context, key: str, title: str, rationale: str) -> RoadmapSuggestion:
    """A tier from lifetime points when members have points; from spend when they have none
    (a tier from points that are 0 would reach nobody)."""
    m = c.members
    top = max(c.program.tiers, key=lambda t: t.min_lifetime_points, default=None)
    if c.has_points:
        threshold = _round_to(m.quantile(m.earned, 1 - TIER_TARGET_REACH), 100)
        reach = m.share(m.earned >= threshold)
        today = f" (highest today: {top.name} at {top.min_lifetime_points})" if top else ""
        return _item(key, title, rationale, f"A tier at {threshold} lifetime points{today}.", reach)
    threshold = _round_to(m.quantile(m.spend, 1 - TIER_TARGET_REACH), 10)
    reach = m.share(m.spend >= threshold)
    return _item(
        key,
        title,
        rationale + " Its members hold no lifetime points (orders came without points), so the"
        " threshold is on spend.",
        f"Status for customers who spent {threshold} or more.",
        reach,
    )


def favourites_reach(c: Context) -> float:
    if not c.favourites:
        return 0.0
    columns = [column for _, column in c.favourites[:2]]
    bought: Mask = np.asarray(c.members.category_buyer[:, columns].any(axis=1), dtype=np.bool_)
    return c.members.share(bought)


# --- items per motivation ---------------------------------------------------------------------


def _transactional(c: Context) -> list[RoadmapSuggestion]:
    m = c.members
    if c.has_points:
        values, unit = m.earned, "points"
    else:
        values, unit = m.spend, "spent"
    steps = sorted({_round_to(m.quantile(values, q), 50) for q in (0.25, 0.5, 0.75)})
    shown = ", ".join(str(s) for s in steps)
    off = ", ".join(f"{5 * (i + 1)}%" for i in range(len(steps)))
    items = [
        _item(
            "transactional_value.tiered_discounts",
            "Tiered discount rewards",
            f"Redeems {pct(c.g.redemption_rate)} of its points against"
            f" {pct(c.base.redemption_rate)} for the base: rewards it can reach and spend"
            " quickly keep it coming back.",
            f"Reward steps at {shown} {unit} (its members' quartiles), worth {off} off;"
            f" earning rate {c.program.points_per_currency_unit} point(s) per unit.",
            m.share(values >= steps[0]),
        )
    ]
    double = double_points_days(c)
    return [*items, double] if double else items


def _belonging(c: Context) -> list[RoadmapSuggestion]:
    current = c.program.referral_bonus_points
    referrers = c.members.share(c.members.referrer)
    return [
        _item(
            "belonging.referral_program",
            "Referral program and community events",
            f"Brings {c.g.referrals_per_customer:.2f} new customers each against"
            f" {c.base.referrals_per_customer:.2f} for the base: reward the network.",
            f"Referral bonus {_round_to(max(current, 100) * 1.5, 50)} points (now {current});"
            " one member event per quarter; counted among those who already referred.",
            referrers,
        ),
        _item(
            "belonging.welcome_bonus",
            "Welcome bonus for referred friends",
            "A gift for the friend makes the invitation easier to send.",
            f"Referee bonus {max(c.program.referee_bonus_points, 100)} points (now"
            f" {c.program.referee_bonus_points}).",
            referrers,
        ),
    ]


def _exclusivity(c: Context) -> list[RoadmapSuggestion]:
    big = c.members.share(c.members.order_value >= c.base.median_order_value * 1.4)
    return [
        _item(
            "exclusivity.early_access",
            "Early access to limited editions",
            f"Orders of {c.g.median_order_value:.2f} against {c.base.median_order_value:.2f}"
            " for the base, bought rarely: access matters more than discounts.",
            "48-hour early access to new and limited products, for members whose orders average"
            f" {c.base.median_order_value * 1.4:.2f} or more.",
            big,
        ),
        status_threshold(
            c,
            "exclusivity.top_tier",
            "A top tier with premium perks",
            "A tier this persona can reach, with perks money cannot buy elsewhere.",
        ),
    ]


def _recognition(c: Context) -> list[RoadmapSuggestion]:
    current = c.program.birthday_reward_points
    return [
        _item(
            "recognition.birthday_rewards",
            "Birthday and anniversary rewards",
            f"Places {pct(c.g.birthday_month_share)} of its orders in its birthday month:"
            " being remembered brings it in.",
            f"Birthday reward {_round_to(max(current, 50) * 2, 50)} points (now {current});"
            " a bonus on the membership anniversary.",
            c.members.share(c.members.birthday_known),
        )
    ]


def _routine(c: Context) -> list[RoadmapSuggestion]:
    return [i for i in (streak(c), on_time_bonus(c), reminder(c)) if i is not None]


def _renewal(c: Context) -> list[RoadmapSuggestion]:
    m, p = c.members, c.program
    items = [
        _item(
            "renewal.win_back",
            "Win-back campaign",
            f"Last bought {c.g.median_recency_days:.0f} days ago (median);"
            f" {pct(c.g.lost_share)} are past the lost threshold ({p.lost_after_days} days):"
            " it needs a reason to return.",
            f"2× points for 30 days for customers inactive {p.at_risk_after_days}+ days.",
            m.share(m.recency >= p.at_risk_after_days),
        ),
        _item(
            "renewal.lapse_survey",
            "Ask why they stopped",
            "A lapsed customer's reason (price, range, a move) says which offer can bring it back.",
            f"A one-question survey to customers inactive {p.lost_after_days}+ days.",
            m.share(m.recency >= p.lost_after_days),
        ),
    ]
    if c.favourites:
        items.append(
            _item(
                "renewal.favourites_offer",
                "A come-back offer on what it used to buy",
                "An offer on the categories it bought most is more relevant than a generic"
                " discount.",
                f"A come-back offer on {c.favourite_names}, sent at {p.at_risk_after_days}"
                " days without an order.",
                favourites_reach(c),
            )
        )
    if p.points_expire_after_days and c.has_points:
        # Points of customers gone longer than the expiry have expired already.
        holding = m.share((m.earned > 0) & (m.recency < p.points_expire_after_days))
        if holding >= MIN_REACH:
            items.append(
                _item(
                    "renewal.expiry_reminder",
                    "Points-expiry reminder",
                    "Points about to expire are a concrete reason to come back.",
                    "A reminder 30 days before points expire"
                    f" (they expire after {p.points_expire_after_days} days).",
                    holding,
                )
            )
    return items


def second_purchase(c: Context) -> RoadmapSuggestion:
    window = c.base.median_days_between_orders or interval_days(c) or 30.0
    window_days = max(7, round(window))
    usual = c.program.points_for(Decimal(str(round(c.g.median_order_value, 2))))
    bonus = _round_to(usual / 2, 10)
    return _item(
        "trial.second_purchase",
        "Second-purchase bonus",
        f"{pct(c.g.one_time_share)} bought once: the second order is where a habit starts;"
        f" repeat customers of the base come back after {window_days} days (median).",
        f"+{bonus} points on a second order within {window_days} days of the first.",
        c.g.one_time_share,
    )


def _trial(c: Context) -> list[RoadmapSuggestion]:
    return [
        second_purchase(c),
        _item(
            "trial.welcome_series",
            "Welcome series after the first order",
            "A first-time buyer who hears nothing back forgets the shop.",
            f"Messages 3 and 14 days after a first order, featuring {c.favourite_names}.",
            c.g.one_time_share,
        ),
    ]


def _commitment(c: Context) -> list[RoadmapSuggestion]:
    vip = status_threshold(
        c,
        "commitment.vip_status",
        "VIP status for the best customers",
        f"Spends {c.g.average_spend:.2f} each against {c.base.average_spend:.2f} for the"
        " base: recognize it before a competitor does.",
    )
    return [i for i in (vip, milestone(c)) if i is not None]


def _momentum(c: Context) -> list[RoadmapSuggestion]:
    m = c.members
    window = max(7, round(interval_days(c) or c.base.median_days_between_orders or 30.0))
    return [
        _item(
            "momentum.next_visit_bonus",
            "Bonus on the next visit",
            f"Last bought {c.g.median_recency_days:.0f} days ago against"
            f" {c.base.median_recency_days:.0f} for the base: act while it is engaged.",
            f"+{STREAK_BONUS} points on an order within {window} days of the previous one.",
            m.share(m.recency <= window),
        )
    ]


BY_MOTIVATION: dict[str, Callable[[Context], list[RoadmapSuggestion]]] = {
    TRANSACTIONAL_VALUE.key: _transactional,
    BELONGING.key: _belonging,
    EXCLUSIVITY.key: _exclusivity,
    RECOGNITION.key: _recognition,
    ROUTINE.key: _routine,
    RENEWAL.key: _renewal,
    TRIAL.key: _trial,
    COMMITMENT.key: _commitment,
    MOMENTUM.key: _momentum,
}


def _fill_ins(c: Context) -> list[RoadmapSuggestion | None]:
    """Items any persona's figures can support, for a roadmap shorter than `MIN_ITEMS`."""
    g, m = c.g, c.members
    return [
        reminder(c) if 1 - g.one_time_share >= FILL_IN_SHARE else None,
        streak(c),
        on_time_bonus(c),
        second_purchase(c) if g.one_time_share >= FILL_IN_SHARE else None,
        _renewal(c)[0] if g.at_risk_share >= FILL_IN_SHARE else None,
        milestone(c) if 1 - g.one_time_share >= FILL_IN_SHARE else None,
        double_points_days(c),
        (
            _item(
                "recognition.birthday_capture",
                "Collect birthdays",
                f"Only {pct(g.birthday_known_share)} gave a birthday: a birthday reward cannot"
                " reach the others.",
                "Ask for the birthday at checkout and in the app, for a birthday reward of"
                f" {c.program.birthday_reward_points} points.",
                m.share(~m.birthday_known),
            )
            if g.birthday_known_share < 1 - FILL_IN_SHARE
            else None
        ),
    ]


def roadmap(keys: Sequence[str], c: Context) -> list[RoadmapSuggestion]:
    """Items for the motivations that fired (strongest first), then fill-ins up to
    `MIN_ITEMS`; one item per rule key."""
    items: list[RoadmapSuggestion] = []
    seen: set[str] = set()

    def keep(item: RoadmapSuggestion | None) -> None:
        if item is not None and item.rule_key not in seen:
            seen.add(item.rule_key)
            items.append(item)

    for key in keys:
        items_of = BY_MOTIVATION.get(key)
        for item in items_of(c) if items_of else []:
            keep(item)
    for fill in _fill_ins(c):
        if len(items) >= MIN_ITEMS:
            break
        keep(fill)
    return items
