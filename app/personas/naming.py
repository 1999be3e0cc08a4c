"""Persona names from the persona's own figures, read against the other personas and the base.

A name is "[lapse] [qualifier] noun": what the members do (noun: regulars, repeat buyers,
occasional buyers, one-time buyers), what sets them apart (qualifier: big-spending, premium,
deal-seeking, referring, birthday, steady, bargain) and whether they stopped (Lapsed, At-risk:
half or more past the organization's lost or at-risk days; Recent, for a plain group still
buying in a mostly lapsed base). Words that praise a group
(regulars, big-spending, premium) need the ranks to back them: a name never says more than the
persona's spend and frequency ranks among the personas support. Two personas that would share
a name are told apart by what else differs (recency, a second qualifier, their top category,
then their spend), never by a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.personas.metrics import Metrics
from app.personas.motivations import (
    BELONGING,
    LAPSED_SHARE,
    ONE_TIME_SHARE,
    RECOGNITION,
    ROUTINE,
    TRANSACTIONAL_VALUE,
)

OTHER_NAME = "Other"
# A praising word needs the persona in the top half of the personas by the figure it praises,
# and this far above the whole base.
REGULAR_ORDERS_LIFT = 1.5
REGULAR_REPEAT_SHARE = 0.5
BIG_SPEND_LIFT = 1.5
PREMIUM_ORDER_VALUE_LIFT = 1.4
BARGAIN_ORDER_VALUE = 0.75
# "Recent" (a tie-breaker): at most this share of the members past the at-risk threshold.
RECENT_AT_RISK = 0.1
# Words a test checks against the ranks (what each claims).
SPEND_WORDS = ("big-spending", "premium")
FREQUENCY_WORDS = ("regulars", "loyal")


@dataclass(frozen=True)
class Ranks:
    """0 is the highest among the shown personas; `of` is how many there are."""

    spend: int
    orders: int
    order_value: int
    of: int

    def top_half(self, rank: int) -> bool:
        return rank < max(1, (self.of + 1) // 2)


def _rank(values: Sequence[float], index: int) -> int:
    return sum(1 for v in values if v > values[index])


def ranks(groups: Sequence[Metrics]) -> list[Ranks]:
    spend = [g.average_spend for g in groups]
    orders = [g.orders_per_customer for g in groups]
    value = [g.average_order_value for g in groups]
    return [
        Ranks(_rank(spend, i), _rank(orders, i), _rank(value, i), len(groups))
        for i in range(len(groups))
    ]


def _ratio(value: float, base: float) -> float:
    return value / base if base > 0 else (float("inf") if value > 0 else 1.0)


def is_regular(g: Metrics, base: Metrics, r: Ranks) -> bool:
    return (
        r.top_half(r.orders)
        and 1.0 - g.one_time_share >= REGULAR_REPEAT_SHARE
        and _ratio(g.orders_per_customer, base.orders_per_customer) >= REGULAR_ORDERS_LIFT
    )


def is_big_spending(g: Metrics, base: Metrics, r: Ranks) -> bool:
    return r.top_half(r.spend) and _ratio(g.average_spend, base.average_spend) >= BIG_SPEND_LIFT


def is_premium(g: Metrics, base: Metrics, r: Ranks) -> bool:
    """The highest order value of all personas, and a top-half spend."""
    return (
        r.top_half(r.spend)
        and r.order_value == 0
        and _ratio(g.average_order_value, base.average_order_value) >= PREMIUM_ORDER_VALUE_LIFT
        and _ratio(g.median_order_value, base.median_order_value) >= PREMIUM_ORDER_VALUE_LIFT
    )


def _noun(g: Metrics, base: Metrics, r: Ranks) -> str:
    """With `{}` where the qualifier goes."""
    if g.one_time_share >= ONE_TIME_SHARE:
        return "one-time {}buyers"
    if is_regular(g, base, r):
        return "{}regulars"
    if 1.0 - g.one_time_share >= REGULAR_REPEAT_SHARE:
        return "{}repeat buyers"
    return "occasional {}buyers"


def _qualifiers(g: Metrics, base: Metrics, r: Ranks, keys: Sequence[str]) -> list[str]:
    """Every word that sets the persona apart, most telling first."""
    out: list[str] = []
    if is_big_spending(g, base, r):
        out.append("big-spending")
    if is_premium(g, base, r):
        out.append("premium")
    if TRANSACTIONAL_VALUE.key in keys:
        out.append("deal-seeking")
    if BELONGING.key in keys:
        out.append("referring")
    if RECOGNITION.key in keys:
        out.append("birthday")
    if ROUTINE.key in keys:
        out.append("steady")
    value = _ratio(g.median_order_value, base.median_order_value)
    if value <= BARGAIN_ORDER_VALUE and not r.top_half(r.spend):
        out.append("bargain")
    return out


def _lapse(g: Metrics, base: Metrics, qualified: bool) -> str:
    if g.lost_share >= LAPSED_SHARE:
        return "lapsed"
    if g.at_risk_share >= LAPSED_SHARE:
        return "at-risk"
    # In a mostly lapsed base, still buying is what sets a plain group apart.
    if not qualified and base.lost_share >= LAPSED_SHARE and g.at_risk_share <= RECENT_AT_RISK:
        return "recent"
    return ""


def _compose(lapse: str, qualifier: str, noun: str) -> str:
    text = " ".join(w for w in (lapse, noun.format(f"{qualifier} " if qualifier else "")) if w)
    return text[:1].upper() + text[1:]


def names(
    groups: Sequence[Metrics],
    base: Metrics,
    keys: Sequence[Sequence[str]],
    top_categories: Sequence[Sequence[str]],
) -> list[str]:
    """A distinct descriptive name for each persona (same order as `groups`)."""
    r = ranks(groups)
    parts = []
    for g, rank, k in zip(groups, r, keys, strict=True):
        qualifiers = _qualifiers(g, base, rank, k)
        parts.append((_lapse(g, base, bool(qualifiers)), qualifiers, _noun(g, base, rank)))
    out = [_compose(lapse, q[0] if q else "", noun) for lapse, q, noun in parts]
    # Collisions: recency, a second qualifier, then the top category, then the spend.
    for step in ("recent", "qualifier", "category", "spend"):
        clashes = {n for n in out if out.count(n) > 1}
        if not clashes:
            break
        for name in clashes:
            members = _by_spend(groups, [i for i, n in enumerate(out) if n == name])
            recent = [i for i in members if groups[i].at_risk_share <= RECENT_AT_RISK]
            for position, i in enumerate(members):
                lapse, q, noun = parts[i]
                if step == "recent":
                    # Only when it tells them apart (some recent, some not).
                    if i in recent and len(recent) < len(members) and not lapse:
                        out[i] = _compose("recent", q[0] if q else "", noun)
                elif step == "qualifier" and len(q) > 1:
                    out[i] = f"{name} ({q[1]})"
                elif step == "category" and top_categories[i]:
                    out[i] = f"{name} ({top_categories[i][0]})"
                elif step == "spend":
                    out[i] = f"{name} ({_spend_word(position, len(members))})"
    return out


def _by_spend(groups: Sequence[Metrics], members: list[int]) -> list[int]:
    return sorted(members, key=lambda i: (-groups[i].average_spend, i))


def _spend_word(position: int, count: int) -> str:
    if position == 0:
        return "highest spend" if count > 2 else "higher spend"
    if position == count - 1:
        return "lowest spend" if count > 2 else "lower spend"
    return f"spend {position + 1} of {count}"
