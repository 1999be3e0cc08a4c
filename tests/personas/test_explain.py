from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from app.organizations.program import LoyaltyProgram
from app.personas.explain import Metrics, motivations, portraits, roadmap
from app.personas.features import Col, Vocabulary
from app.personas.model import ModelConfig, cluster
from tests.personas.synthetic import blobs, features

PROGRAM = LoyaltyProgram()
BASE = Metrics(
    size=1000,
    median_order_value=40.0,
    average_order_value=45.0,
    average_spend=200.0,
    orders_per_customer=5.0,
    orders_per_month=0.4,
    median_recency_days=60.0,
    redemption_rate=0.3,
    redeemer_share=0.5,
    referrals_per_customer=0.2,
    referrer_share=0.1,
    birthday_known_share=0.8,
    birthday_month_share=1 / 12,
    median_age=40.0,
    lifetime_points_p75=500.0,
    interval_variation=0.8,
    median_days_between_orders=60.0,
    repeat_share=0.6,
    category_share=np.zeros(0),
    tag_share=np.zeros(0),
)


def keys(group: Metrics) -> list[str]:
    return [m["key"] for m in motivations(group, BASE, PROGRAM)]


class TestRules:
    def test_the_whole_base_has_no_motivation(self) -> None:
        assert keys(BASE) == []

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            ({"redemption_rate": 0.8}, "TRANSACTIONAL_VALUE"),
            ({"referrals_per_customer": 1.5, "referrer_share": 0.7}, "BELONGING"),
            ({"median_order_value": 120.0, "orders_per_month": 0.2}, "EXCLUSIVITY"),
            ({"birthday_month_share": 0.25}, "RECOGNITION"),
            ({"interval_variation": 0.2, "median_recency_days": 20.0}, "ROUTINE"),
            ({"median_recency_days": 500.0}, "RENEWAL"),
        ],
    )
    def test_each_rule_fires_on_its_trait(self, change: dict[str, Any], expected: str) -> None:
        group = dataclasses.replace(BASE, **change)
        found = motivations(group, BASE, PROGRAM)
        assert found[0]["key"] == expected
        assert 0 < found[0]["score"] <= 1
        evidence = found[0]["evidence"]
        assert evidence
        assert all(e["description"] for e in evidence)

    def test_thresholds_hold_back_weak_signals(self) -> None:
        assert keys(dataclasses.replace(BASE, redemption_rate=0.35)) == []
        # Bigger baskets, but bought often: not exclusivity.
        assert keys(dataclasses.replace(BASE, median_order_value=120.0, orders_per_month=0.6)) == []
        # Lapsed relative to the base, but not past the program's at-risk threshold.
        assert keys(dataclasses.replace(BASE, median_recency_days=150.0)) == []

    def test_strongest_first(self) -> None:
        group = dataclasses.replace(BASE, redemption_rate=0.45, median_recency_days=600.0)
        assert keys(group) == ["RENEWAL", "TRANSACTIONAL_VALUE"]

    def test_roadmap_items_carry_rule_keys_and_program_settings(self) -> None:
        group = dataclasses.replace(BASE, referrals_per_customer=1.0)
        items = roadmap(["BELONGING"], group, BASE, PROGRAM, ["wine"])
        assert [i.rule_key for i in items] == [
            "belonging.referral_program",
            "belonging.welcome_bonus",
        ]
        assert items[0].title == "Referral program and community events"
        assert f"(now {PROGRAM.referral_bonus_points})" in items[0].suggested_setting
        group = dataclasses.replace(BASE, redemption_rate=0.8)
        titles = [i.title for i in roadmap(["TRANSACTIONAL_VALUE"], group, BASE, PROGRAM, [])]
        assert titles[0] == "Tiered discount rewards"
        exclusive = roadmap(["EXCLUSIVITY"], group, BASE, PROGRAM, [])
        assert exclusive[0].title == "Early access to limited editions"


class TestPortraits:
    def test_names_are_unique_and_other_has_no_roadmap(self) -> None:
        data, _ = blobs([200, 200, 200, 200])
        result = cluster(data, ModelConfig(seed=3, min_size=10))
        drawn = portraits(data, result, PROGRAM, 10)
        names = [p.name for p in drawn]
        assert len(set(names)) == len(names)
        assert sum(p.size for p in drawn) == len(data)
        for p in drawn:
            if p.is_other:
                assert p.name == "Other"
                assert p.roadmap == []
                assert p.motivations == []

    def test_small_slices_are_not_listed(self) -> None:
        vocab = Vocabulary(categories=("rare",), tags=("niche",), countries=("US", "IS"))
        n = 60
        country = np.ones(n, dtype=np.float32)
        country[:3] = 2  # three customers in Iceland
        categories = np.zeros((n, 1), dtype=np.float32)
        categories[:4, 0] = 20  # four buyers of a rare category
        tags = np.zeros((n, 1), dtype=np.float32)
        tags[:2, 0] = 1
        ages = np.full(n, 40.0, dtype=np.float32)
        ages[:5] = 80.0
        data = features(
            {Col.COUNTRY: country, Col.AGE: ages},
            n,
            vocabulary=vocab,
            categories=categories,
            tags=tags,
        )
        result = cluster(data, ModelConfig(seed=1, min_size=10))
        for p in portraits(data, result, PROGRAM, 10):
            assert [c["label"] for c in p.demographics["topCountries"]] in (["US"], [])
            assert p.behaviors["topCategories"] == []
            assert p.behaviors["topTags"] == []
            assert "65+" not in [b["label"] for b in p.demographics["ageBands"]]
