"""The pure generator: determinism, identifiers, and the planted behavior groups."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest

from app.core.identifiers import normalize_email, normalize_phone
from app.organizations.program import LoyaltyProgram
from app.seed import catalog
from app.seed.catalog import TAG_SETS
from app.seed.encode import time_ordered_ids, uuid_text
from app.seed.generate import generate_block
from app.seed.people import phones_for
from app.seed.plan import EARN, EXPIRE, REDEEM, US_PER_DAY, ProgramRules, SeedBlock, SeedPlan

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def block(
    customers: int = 400,
    orders: float = 5,
    seed: int = 11,
    start_index: int = 0,
    rules: ProgramRules | None = None,
) -> SeedBlock:
    plan = SeedPlan(
        customers=customers,
        orders_per_customer=orders,
        seed=seed,
        now=NOW,
        rules=rules or ProgramRules(),
        start_index=start_index,
    )
    first, count = plan.blocks()[0]
    return generate_block(plan, first, count)


def same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


def block_equal(x: SeedBlock, y: SeedBlock) -> bool:
    for part in ("customers", "orders", "items", "ledger"):
        left, right = getattr(x, part), getattr(y, part)
        for f in dataclasses.fields(left):
            if not same(getattr(left, f.name), getattr(right, f.name)):
                return False
    return True


class TestDeterminism:
    def test_same_seed_same_data(self) -> None:
        assert block_equal(block(seed=5), block(seed=5))

    def test_another_seed_other_data(self) -> None:
        assert not block_equal(block(seed=5), block(seed=6))

    def test_blocks_do_not_depend_on_how_many_follow(self) -> None:
        small = SeedPlan(customers=300, orders_per_customer=3, seed=2, now=NOW, block_size=100)
        large = SeedPlan(customers=500, orders_per_customer=3, seed=2, now=NOW, block_size=100)
        assert small.blocks() == large.blocks()[:3]
        first, count = small.blocks()[1]
        assert block_equal(generate_block(small, first, count), generate_block(large, first, count))


class TestIdentifiers:
    def test_emails_and_phones_are_unique_and_already_normalized(self) -> None:
        people = block(customers=3000, orders=1).customers
        emails = [e for e in people.email if e is not None]
        phones = [p for p in people.phone if p is not None]
        assert len(emails) > 2700
        assert len(phones) > 2700
        assert len(set(emails)) == len(emails)
        assert len(set(phones)) == len(phones)
        assert len(set(people.external_reference)) == len(people)
        for email in emails:
            assert normalize_email(email) == email
        for phone in phones:
            assert normalize_phone(phone, "US") == phone

    def test_phones_never_collide_whatever_the_index(self) -> None:
        index = np.concatenate([np.arange(150_000), np.arange(10**8, 10**8 + 50_000)]).astype(
            np.int64
        )
        for country in range(len(catalog.COUNTRIES)):
            phones = phones_for(
                index, np.full(len(index), country, dtype=np.int8), np.zeros(len(index), bool)
            )
            assert len(set(phones)) == len(index)

    def test_every_area_code_and_exchange_edge_is_valid(self) -> None:
        for code in catalog.US_AREA_CODES + catalog.CA_AREA_CODES:
            for exchange in (catalog.EXCHANGES[0], catalog.EXCHANGES[-1]):
                number = f"+1{code}{exchange}0000"
                assert normalize_phone(number, "US") == number
        for prefix in (catalog.GB_MOBILE_PREFIXES[0], catalog.GB_MOBILE_PREFIXES[-1]):
            number = f"+44{prefix}999999"
            assert normalize_phone(number, "GB") == number

    def test_later_seedings_continue_the_indexes(self) -> None:
        first = block(customers=200)
        second = block(customers=200, start_index=200)
        assert not set(first.customers.email) & set(second.customers.email) - {None}
        assert not set(first.customers.phone) & set(second.customers.phone) - {None}


class TestOrders:
    def test_items_sum_to_totals_and_points_follow_the_rule(self) -> None:
        b = block()
        sums = np.zeros(len(b.orders), dtype=np.int64)
        np.add.at(sums, b.items.order, b.items.price)
        assert np.array_equal(sums, b.orders.total)
        program = LoyaltyProgram()
        for total, points in zip(b.orders.total.tolist(), b.orders.points.tolist(), strict=True):
            assert program.points_for(Decimal(total) / 100) == points

    @pytest.mark.parametrize("rate", ["1", "1.5", "0.1", "2.25"])
    def test_points_for_cents_is_exactly_points_for(self, rate: str) -> None:
        program = LoyaltyProgram(points_per_currency_unit=Decimal(rate))
        rules = ProgramRules.of(program)
        cents = np.arange(0, 200_001, 7, dtype=np.int64)
        expected = [program.points_for(Decimal(c) / 100) for c in cents.tolist()]
        assert rules.points_for_cents(cents).tolist() == expected

    def test_the_average_number_of_orders_is_m(self) -> None:
        b = block(customers=5000, orders=5)
        assert len(b.orders) / len(b.customers) == pytest.approx(5, rel=0.05)

    def test_no_orders_when_m_is_zero(self) -> None:
        b = block(orders=0)
        assert len(b.orders) == len(b.items) == 0
        assert (b.customers.points_balance >= 0).all()

    def test_orders_are_after_signup_and_before_now(self) -> None:
        b = block()
        assert (b.orders.placed_at >= b.customers.created_at[b.orders.customer]).all()
        now = (NOW - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        assert (b.orders.placed_at < now).all()
        assert (b.ledger.created_at <= now).all()


class TestLedger:
    def test_running_balances_and_lots_add_up(self) -> None:
        b = block(customers=1000)
        led = b.ledger
        # Entries are grouped by customer, in time order.
        assert (np.diff(led.customer) >= 0).all()
        same_customer = led.customer[1:] == led.customer[:-1]
        assert (np.diff(led.created_at)[same_customer] >= 0).all()
        assert (led.balance_after >= 0).all()
        n = len(b.customers)
        balance = np.bincount(led.customer, weights=led.points, minlength=n)
        lots = np.bincount(led.customer, weights=led.remaining, minlength=n)
        earned = np.bincount(led.customer, np.where(led.kind == EARN, led.points, 0), n)
        assert np.array_equal(balance, b.customers.points_balance)
        assert np.array_equal(lots, b.customers.points_balance)
        assert np.array_equal(earned, b.customers.lifetime_points)
        assert (led.points[led.kind == REDEEM] < 0).all()
        assert (led.points[led.kind == EXPIRE] < 0).all()

    def test_nothing_due_is_left_unexpired(self) -> None:
        b = block(customers=1000)
        led = b.ledger
        now = (NOW - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        due = (led.expires_at >= 0) & (led.expires_at <= now)
        assert due.any()
        assert (led.remaining[due] == 0).all()

    def test_without_expiry_nothing_expires(self) -> None:
        b = block(rules=ProgramRules(expire_after_days=None))
        assert not (b.ledger.kind == EXPIRE).any()
        assert (b.ledger.expires_at == -1).all()


@pytest.fixture(scope="module")
def big() -> SeedBlock:
    return block(customers=6000, orders=5, seed=3)


class TestPlantedGroups:
    """The behaviors a persona model should find, visible in plain per-group statistics."""

    def per_group(self, b: SeedBlock, values: np.ndarray, owner: np.ndarray) -> dict[str, float]:
        group = b.customers.group[owner]
        return {
            g.name: float(values[group == i].mean()) if (group == i).any() else 0.0
            for i, g in enumerate(catalog.GROUPS)
        }

    def test_each_group_is_present_in_its_share(self, big: SeedBlock) -> None:
        shares = np.bincount(big.customers.group, minlength=len(catalog.GROUPS)) / len(
            big.customers
        )
        for share, g in zip(shares, catalog.GROUPS, strict=True):
            assert share == pytest.approx(g.share, abs=0.03)

    def test_behaviors_differ_as_planted(self, big: SeedBlock) -> None:
        c = big.customers
        rows = np.arange(len(c))
        orders = self.per_group(big, c.order_count.astype(float), rows)
        aov = self.per_group(big, big.orders.total / 100, big.orders.customer)
        led = big.ledger
        redeemed = np.bincount(led.customer, np.where(led.kind == REDEEM, -led.points, 0), len(c))
        rate = redeemed / np.maximum(c.lifetime_points, 1)
        redemption = self.per_group(big, rate, rows)
        referrals = np.bincount(c.referrer[c.referrer >= 0], minlength=len(c)).astype(float)
        referred = self.per_group(big, referrals, rows)
        now = (NOW - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        idle_days = self.per_group(big, (now - c.last_order_at) / US_PER_DAY, rows)

        assert max(orders, key=orders.__getitem__) == "deal_seekers"
        assert max(aov, key=aov.__getitem__) == "big_spenders"
        assert aov["big_spenders"] > 3 * aov["loyal_regulars"]
        assert min(aov, key=aov.__getitem__) == "deal_seekers"
        assert max(redemption, key=redemption.__getitem__) == "deal_seekers"
        assert redemption["deal_seekers"] > 0.5 > redemption["big_spenders"]
        assert max(referred, key=referred.__getitem__) == "social_connectors"
        assert referred["social_connectors"] > 5 * max(
            v for k, v in referred.items() if k != "social_connectors"
        )
        assert idle_days["loyal_regulars"] < 30
        lapsed = c.group == catalog.GROUP_NAMES.index("lapsed")
        assert ((now - c.last_order_at[lapsed]) > 365 * US_PER_DAY).all()

    def test_tags_follow_the_group(self, big: SeedBlock) -> None:
        item_group = big.customers.group[big.orders.customer[big.items.order]]
        tags = [set(TAG_SETS[t]) for t in big.items.tag_set.tolist()]
        expected = {
            "deal_seekers": {"discount", "clearance", "coupon", "bogo"},
            "big_spenders": {"premium", "limited-edition", "luxury"},
            "social_connectors": {"community", "event", "local"},
            "loyal_regulars": {"everyday", "organic", "staples", "family-pack"},
        }
        for name, wanted in expected.items():
            mine = [
                t
                for t, g in zip(tags, item_group.tolist(), strict=True)
                if g == catalog.GROUP_NAMES.index(name)
            ]
            share = sum(1 for t in mine if t & wanted) / len(mine)
            assert share > 0.6, name


class TestIds:
    def test_bulk_ids_are_increasing_version_7_uuids(self) -> None:
        import uuid

        ids = time_ordered_ids(5000)
        values = [uuid.UUID(bytes=row.tobytes()) for row in ids]
        assert values == sorted(values)
        assert len(set(values)) == len(values)
        assert all(v.version == 7 and v.variant == uuid.RFC_4122 for v in values)
        text = uuid_text(ids[:10]).tobytes().decode()
        assert [text[i * 36 : (i + 1) * 36] for i in range(10)] == [str(v) for v in values[:10]]


class TestLapsedRetailProfile:
    """`--profile lapsed-retail`: built like a real retail log imported without points."""

    def test_most_bought_once_two_thirds_lapsed_a_tail_of_heavy_buyers(self) -> None:
        rules = dataclasses.replace(ProgramRules(), points_numerator=0, referral_bonus=0)
        plan = SeedPlan(
            customers=4_000,
            orders_per_customer=3,
            seed=5,
            now=NOW,
            rules=rules,
            profile="lapsed-retail",
        )
        first, count = plan.blocks()[0]
        b = generate_block(plan, first, count)
        c = b.customers
        now = (NOW - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
        idle = (now - c.last_order_at) / US_PER_DAY
        assert (c.order_count == 1).mean() > 0.5
        assert 0.6 < (idle > 365).mean() < 0.75
        heavy = c.group == [g.name for g in plan.groups].index("heavy_buyers")
        assert np.median(c.order_count[heavy]) > 5 * np.median(c.order_count)
        assert (idle[heavy] < 60).all()
        # No demographics, no referrals, no points.
        assert not c.has_birthday.any()
        assert (c.city == -1).all()
        assert (c.country == -1).all()
        assert (c.referrer == -1).all()
        assert (c.lifetime_points == 0).all()
        assert not (b.ledger.kind == EARN).any()
        assert {json.loads(t)["seedGroup"] for t in b.traits} == {
            g.name for g in catalog.RETAIL_GROUPS
        }

    def test_an_unknown_profile_is_refused(self) -> None:
        with pytest.raises(ValueError, match="profile must be one of"):
            SeedPlan(customers=1, orders_per_customer=1, seed=1, now=NOW, profile="nope")
