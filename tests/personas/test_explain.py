from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np
import pytest

from app.organizations.program import LoyaltyProgram
from app.personas.explain import (
    Context,
    Members,
    Metrics,
    motivations,
    names,
    portraits,
    roadmap,
)
from app.personas.features import Col, Vocabulary
from app.personas.members import MIN_REACH
from app.personas.model import ModelConfig, cluster
from app.personas.roadmap import MAX_SETTING
from app.personas.suggestions import streak
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
        items = roadmap(["BELONGING"], Context(group, BASE, PROGRAM, members(100)))
        assert [i.rule_key for i in items][:2] == [
            "belonging.referral_program",
            "belonging.welcome_bonus",
        ]
        assert items[0].title == "Referral program and community events"
        assert f"(now {PROGRAM.referral_bonus_points})" in items[0].suggested_setting
        group = dataclasses.replace(BASE, redemption_rate=0.8)
        context = Context(group, BASE, PROGRAM, members(100))
        titles = [i.title for i in roadmap(["TRANSACTIONAL_VALUE"], context)]
        assert titles[0] == "Tiered discount rewards"
        exclusive = roadmap(["EXCLUSIVITY"], context)
        assert exclusive[0].title == "Early access to limited editions"

    def test_renewal_reads_the_organizations_lost_threshold_when_the_whole_base_lapsed(
        self,
    ) -> None:
        # Everybody is lapsed: against the base's median nobody is, against the
        # organization's 365 lost days most of this group is.
        base = dataclasses.replace(BASE, median_recency_days=450.0, lost_share=0.66)
        group = dataclasses.replace(base, median_recency_days=470.0, lost_share=0.9)
        found = motivations(group, base, PROGRAM)
        assert [m["key"] for m in found] == ["RENEWAL"]
        assert found[0]["evidence"][0]["metric"] == "lostShare"
        assert "90% have not bought for 365 days" in found[0]["evidence"][0]["description"]
        # A group mostly still buying is not a win-back group, however lapsed the base.
        assert motivations(dataclasses.replace(base, lost_share=0.3), base, PROGRAM) == []

    def test_predicted_churn_is_win_back_evidence(self) -> None:
        base = dataclasses.replace(BASE, high_churn_share=0.2)
        group = dataclasses.replace(base, high_churn_share=0.7)
        found = motivations(group, base, PROGRAM)
        assert [m["key"] for m in found] == ["RENEWAL"]
        churn = [e for e in found[0]["evidence"] if e["metric"] == "highChurnRiskShare"]
        assert len(churn) == 1
        assert churn[0]["description"].startswith("70% are predicted at high churn risk")
        assert "(whole base: 20%)" in churn[0]["description"]
        # Under half at high risk: predictions alone do not make a win-back group.
        assert motivations(dataclasses.replace(base, high_churn_share=0.4), base, PROGRAM) == []
        # Lapsed by recency: the predicted share joins the evidence.
        lapsed = dataclasses.replace(base, median_recency_days=500.0, high_churn_share=0.3)
        evidence = motivations(lapsed, base, PROGRAM)[0]["evidence"]
        assert "highChurnRiskShare" in [e["metric"] for e in evidence]
        # Without predictions (no model): nothing about churn.
        evidence = motivations(dataclasses.replace(BASE, median_recency_days=500.0), BASE, PROGRAM)[
            0
        ]["evidence"]
        assert "highChurnRiskShare" not in [e["metric"] for e in evidence]


def members(n: int, **values: Any) -> Members:
    """`n` members: one order of 20.00 ten days ago each, unless `values` says otherwise."""
    arrays: dict[str, Any] = {
        "spend": np.full(n, 20.0),
        "orders": np.ones(n),
        "frequency": np.full(n, 0.1),
        "recency": np.full(n, 10.0),
        "order_value": np.full(n, 20.0),
        "earned": np.full(n, 20.0),
        "days_between_orders": np.zeros(n),
        "referrer": np.zeros(n, dtype=np.bool_),
        "birthday_known": np.ones(n, dtype=np.bool_),
        "category_buyer": np.zeros((n, 0), dtype=np.bool_),
    }
    arrays.update({k: np.asarray(v) for k, v in values.items()})
    return Members(**arrays)


class TestRoadmapSettings:
    """Every setting is computed from the persona's own figures and says its reach."""

    def test_the_reminder_is_timed_from_the_interval_its_evidence_quotes(self) -> None:
        group = dataclasses.replace(
            BASE, median_days_between_orders=100.0, interval_variation=0.1, repeat_share=0.9
        )
        recency = np.concatenate([np.full(30, 200.0), np.full(70, 20.0)])
        context = Context(
            group, BASE, PROGRAM, members(100, orders=np.full(100, 6.0), recency=recency)
        )
        evidence = motivations(dataclasses.replace(group, median_recency_days=20.0), BASE, PROGRAM)
        assert "every 100 days" in evidence[0]["evidence"][0]["description"]
        item = next(i for i in roadmap(["ROUTINE"], context) if i.rule_key.endswith("reminders"))
        assert item.suggested_setting.startswith("A reminder 125 days after the last order.")
        assert item.reach == 0.3
        assert "30% of its members" in item.suggested_setting

    def test_a_streak_is_offered_only_at_a_pace_enough_members_keep(self) -> None:
        # 80 members order once a month, 20 four and a half times a month.
        frequency = np.concatenate([np.full(80, 1.0), np.full(20, 4.5)])
        orders = np.concatenate([np.full(80, 3.0), np.full(20, 40.0)])
        few = Context(BASE, BASE, PROGRAM, members(100, frequency=frequency, orders=orders))
        streaks = [i for i in roadmap(["ROUTINE"], few) if i.rule_key == "routine.visit_streaks"]
        # 2 to 4 orders in 30 days reach 20% (< 25%); 2 within 90 days reach everyone.
        assert [i.suggested_setting for i in streaks] == [
            "+50 points on every 2nd order within 90 days. 100% of its members qualify."
        ]
        rare = Context(
            BASE, BASE, PROGRAM, members(100, frequency=np.full(100, 0.05), orders=orders)
        )
        assert streak(rare) is None
        assert MIN_REACH == 0.25

    def test_no_tier_from_lifetime_points_that_are_all_zero(self) -> None:
        group = dataclasses.replace(BASE, median_order_value=120.0, orders_per_month=0.2)
        spend = np.arange(1.0, 101.0) * 10
        imported = members(100, spend=spend, earned=np.zeros(100))
        items = roadmap(["EXCLUSIVITY"], Context(group, BASE, PROGRAM, imported))
        tier = next(i for i in items if i.rule_key == "exclusivity.top_tier")
        assert "lifetime points" not in tier.suggested_setting
        assert tier.suggested_setting == (
            "Status for customers who spent 600 or more. 41% of its members qualify."
        )
        assert "no lifetime points" in tier.rationale
        with_points = members(100, spend=spend, earned=spend)
        items = roadmap(["EXCLUSIVITY"], Context(group, BASE, PROGRAM, with_points))
        tier = next(i for i in items if i.rule_key == "exclusivity.top_tier")
        assert tier.suggested_setting.startswith("A tier at 600 lifetime points")
        assert tier.reach == 0.41

    def test_each_item_states_the_share_it_reaches(self) -> None:
        changes: list[tuple[str, dict[str, Any]]] = [
            ("TRANSACTIONAL_VALUE", {"redemption_rate": 0.8}),
            ("RENEWAL", {"median_recency_days": 500.0, "lost_share": 0.8}),
            ("TRIAL", {"one_time_share": 0.9}),
            ("COMMITMENT", {"average_spend": 900.0, "orders_per_customer": 20.0}),
        ]
        for key, change in changes:
            group = dataclasses.replace(BASE, **change)
            recency = np.linspace(0.0, 800.0, 100)
            items = roadmap([key], Context(group, BASE, PROGRAM, members(100, recency=recency)))
            assert items, key
            for item in items:
                assert f"{round(item.reach * 100)}% of its members" in item.suggested_setting or (
                    f"{round(item.reach * 100)}% of its members are past" in item.suggested_setting
                ), item

    def test_a_long_setting_is_shortened_but_keeps_its_share(self) -> None:
        group = dataclasses.replace(BASE, redemption_rate=0.8)
        buyers = np.ones((100, 2), dtype=np.bool_)
        favourites = [("x" * 150, 0), ("y" * 150, 1)]
        context = Context(group, BASE, PROGRAM, members(100, category_buyer=buyers), favourites)
        item = next(
            i
            for i in roadmap(["TRANSACTIONAL_VALUE"], context)
            if i.rule_key == "transactional_value.double_points_days"
        )
        assert len(item.suggested_setting) <= MAX_SETTING
        assert item.suggested_setting.endswith("… 100% of its members qualify.")


class TestNames:
    def test_names_praise_only_what_the_ranks_support(self) -> None:
        # A: many orders, high spend. B: bought once, big baskets, lower spend than A.
        # C: bought once, small baskets, lapsed.
        a = dataclasses.replace(BASE, average_spend=900.0, orders_per_customer=15.0)
        b = dataclasses.replace(
            BASE,
            average_spend=150.0,
            orders_per_customer=1.0,
            one_time_share=0.9,
            median_order_value=150.0,
            average_order_value=150.0,
        )
        c = dataclasses.replace(
            BASE,
            average_spend=15.0,
            orders_per_customer=1.0,
            one_time_share=0.95,
            median_order_value=15.0,
            average_order_value=15.0,
            lost_share=0.9,
        )
        assert names([a, b, c], BASE, [[], [], []], [[], [], []]) == [
            "Big-spending regulars",
            "One-time premium buyers",
            "Lapsed one-time bargain buyers",
        ]
        # The same big baskets, but another persona spends more per order: not premium.
        d = dataclasses.replace(b, average_order_value=400.0, median_order_value=400.0)
        assert names([a, b, d], BASE, [[], [], []], [[], [], []])[1] == "One-time buyers"

    def test_in_a_mostly_lapsed_base_the_groups_still_buying_are_named_recent(self) -> None:
        base = dataclasses.replace(BASE, lost_share=0.66, one_time_share=0.55)
        lapsed = dataclasses.replace(base, lost_share=0.9, at_risk_share=0.95, one_time_share=0.8)
        recent = dataclasses.replace(base, lost_share=0.0, at_risk_share=0.02, one_time_share=0.4)
        assert names([lapsed, recent], base, [[], []], [[], []]) == [
            "Lapsed one-time buyers",
            "Recent repeat buyers",
        ]

    def test_equal_names_are_told_apart_without_numbers(self) -> None:
        same = [dataclasses.replace(BASE, average_spend=s) for s in (100.0, 120.0, 140.0)]
        drawn = names(same, BASE, [[], [], []], [["wine"], ["wine"], ["toys"]])
        assert len(set(drawn)) == 3
        assert drawn[2] == "Repeat buyers (toys)"
        assert sorted(drawn[:2]) == [
            "Repeat buyers (wine) (higher spend)",
            "Repeat buyers (wine) (lower spend)",
        ]
        assert not any(re.search(r"\d", n) for n in drawn)


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
