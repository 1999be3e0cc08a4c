"""Portraits: a persona's name, demographics, behaviours, motivations and roadmap together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from app.organizations.program import LoyaltyProgram
from app.personas.features import CustomerFeatures
from app.personas.members import Members
from app.personas.metrics import F64, Customers, Mask, Metrics, metrics_of, per_customer
from app.personas.model import Clustering
from app.personas.motivations import motivations
from app.personas.naming import OTHER_NAME, names
from app.personas.portrait_json import (
    BehaviorsJson,
    DemographicsJson,
    LabelShareJson,
    MotivationJson,
)
from app.personas.suggestions import MIN_ITEMS, Context, RoadmapSuggestion, roadmap

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


@dataclass
class Portrait:
    name: str
    size: int
    share: float
    is_other: bool
    demographics: DemographicsJson
    behaviors: BehaviorsJson
    motivations: list[MotivationJson]
    roadmap: list[RoadmapSuggestion] = field(default_factory=list)
    # Why the data cannot support a motivation or a full roadmap, when it cannot.
    note: str = ""


def _age_bands(c: Customers, mask: Mask, min_size: int) -> list[LabelShareJson]:
    size = int(mask.sum())
    out: list[LabelShareJson] = []
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
) -> list[LabelShareJson]:
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


def _note(portrait: Portrait, min_size: int) -> str:
    if portrait.is_other:
        return (
            f"Customers of groups smaller than {min_size}: too few to describe on their own,"
            " so no motivation or roadmap is drawn for them."
        )
    parts = []
    if not portrait.motivations:
        parts.append(
            "No motivation: none of its figures differs enough from the whole base (or passes"
            " the absolute thresholds) to support one."
        )
    if len(portrait.roadmap) < MIN_ITEMS:
        parts.append(
            f"{len(portrait.roadmap)} roadmap item(s) only: no other setting would reach at least"
            " a quarter of its members, or its figures (orders, points, categories) are missing."
        )
    return " ".join(parts)


def portraits(
    features: CustomerFeatures, clustering: Clustering, program: LoyaltyProgram, min_size: int
) -> list[Portrait]:
    c = per_customer(features)
    n = len(features)
    thresholds = {
        "at_risk_after_days": program.at_risk_after_days,
        "lost_after_days": program.lost_after_days,
    }
    base = metrics_of(c, np.ones(n, dtype=np.bool_), **thresholds)
    vocab = features.vocabulary
    out: list[Portrait] = []
    shown: list[tuple[int, Metrics, list[str], list[str]]] = []
    for g in range(clustering.groups):
        mask = clustering.labels == g
        m = metrics_of(c, mask, **thresholds)
        is_other = g == clustering.other
        holders_c = (c.categories[mask] > 0).sum(axis=0)
        holders_t = (c.tags[mask] > 0).sum(axis=0)
        top_categories = _labels(
            vocab.categories, m.category_share, base.category_share, holders_c, min_size
        )
        top_tags = _labels(vocab.tags, m.tag_share, base.tag_share, holders_t, min_size)
        demographics: DemographicsJson = {
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
        behaviors: BehaviorsJson = {
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
            "unitsPerOrder": round(m.units_per_order, 2),
            "oneTimeShare": round(m.one_time_share, 4),
            "atRiskShare": round(m.at_risk_share, 4),
            "lostShare": round(m.lost_share, 4),
            "highChurnRiskShare": (
                round(m.high_churn_share, 4) if m.high_churn_share is not None else None
            ),
            "topCategories": top_categories,
            "topTags": top_tags,
        }
        found = [] if is_other else motivations(m, base, program)
        keys = [f["key"] for f in found]
        favourites = [t["label"] for t in top_categories]
        portrait = Portrait(
            name=OTHER_NAME,
            size=m.size,
            share=round(m.size / n, 4) if n else 0.0,
            is_other=is_other,
            demographics=demographics,
            behaviors=behaviors,
            motivations=found,
        )
        if not is_other:
            column = {name: i for i, name in enumerate(vocab.categories)}
            context = Context(
                m, base, program, Members.of(c, mask), [(f, column[f]) for f in favourites]
            )
            portrait.roadmap = roadmap(keys, context)
            shown.append((len(out), m, keys, favourites))
        portrait.note = _note(portrait, min_size)
        out.append(portrait)
    named = names(
        [m for _, m, _, _ in shown], base, [k for *_, k, _ in shown], [f for *_, f in shown]
    )
    for (position, *_), name in zip(shown, named, strict=True):
        out[position].name = name[:120]
    return out
