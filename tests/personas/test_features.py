from __future__ import annotations

import datetime as dt
import math
import uuid

import numpy as np
import pytest

from app.models.customer import ChurnRisk, Customer, CustomerStatus
from app.models.order import Order, OrderItem
from app.models.wallet import LedgerEntry, LedgerKind
from app.personas.features import (
    BASE_COLUMNS,
    Col,
    CustomerFeatures,
    Vocabulary,
    load_features,
    load_vocabulary,
)
from tests.conftest import make_tenant
from tests.personas.fixtures import AS_OF, add_buyer


def row(features: CustomerFeatures, customer_id: uuid.UUID) -> dict[str, float]:
    index = features.customer_ids().index(customer_id)
    values = features.values[index]
    out = {c.name: float(values[int(c)]) for c in Col}
    for n, name in enumerate(features.vocabulary.categories):
        out[f"category:{name}"] = float(features.categories[index, n])
    for n, name in enumerate(features.vocabulary.tags):
        out[f"tag:{name}"] = float(features.tags[index, n])
    return out


class TestLoad:
    async def test_one_row_per_live_buyer_with_every_source(self) -> None:
        tenant = await make_tenant()
        org = tenant.organization_id
        birthday = dt.date(1990, AS_OF.month, 3)
        regular = await add_buyer(
            org,
            1,
            orders=4,
            total="30.00",
            days_ago=2,
            gap_days=10,
            birthday=birthday,
            city="Austin",
            country="US",
            category="wine",
            tags=("premium", "gift"),
            redeem=60,
        )
        friend = await add_buyer(org, 2, referred_by=regular.id, category="bakery")
        await add_buyer(org, 3, status=CustomerStatus.ARCHIVED, referred_by=regular.id)
        await add_buyer(org, 4, status=CustomerStatus.ERASED)
        await Customer.create(organization_id=org, first_name="Never bought")
        await LedgerEntry.create(
            organization_id=org,
            customer=regular,
            kind=LedgerKind.EARN,
            points=100,
            reason="birthday reward",
            actor_kind="SYSTEM",
        )
        vocabulary = await load_vocabulary(org)
        assert set(vocabulary.categories) == {"wine", "bakery", "groceries"}
        assert set(vocabulary.tags) == {"premium", "gift"}
        assert vocabulary.countries == ("US",)
        assert vocabulary.cities == (("US", "Austin"),)

        features = await load_features(org, AS_OF, vocabulary, chunk_rows=2)
        ids = features.customer_ids()
        assert ids == sorted(ids)
        assert len(ids) == 3
        assert features.values.dtype == np.float32
        assert features.values.shape == (3, BASE_COLUMNS + 5)

        r = row(features, regular.id)
        assert r["ORDERS"] == 4
        assert r["SPENT"] == pytest.approx(120)
        assert r["RECENCY_DAYS"] == pytest.approx(2, abs=1e-3)
        assert r["TENURE_DAYS"] == pytest.approx(32, abs=1e-3)
        assert r["ITEMS"] == 4
        assert r["ITEM_SPEND"] == pytest.approx(120)
        assert r["EARNED_POINTS"] == 220
        assert r["REDEEMED_POINTS"] == 60
        assert r["REDEMPTIONS"] == 1
        assert r["BIRTHDAY_REWARDS"] == 1
        assert r["REFERRALS"] == 2
        assert r["AGE"] == pytest.approx(36, abs=1)
        assert r["COUNTRY"] == 1
        assert r["CITY"] == 1
        assert r["GAP_MEAN_DAYS"] == pytest.approx(10, abs=1e-3)
        assert r["GAP_SD_DAYS"] == pytest.approx(0, abs=0.05)
        assert r["category:wine"] == pytest.approx(120)
        assert r["category:bakery"] == 0
        assert r["tag:premium"] == 4
        assert r["tag:gift"] == 4
        # Orders in the birthday month (the month of AS_OF, going back 2 + 10k days).
        in_month = sum(
            1 for i in range(4) if (AS_OF - dt.timedelta(days=2 + 10 * i)).month == AS_OF.month
        )
        assert r["BIRTHDAY_MONTH_ORDERS"] == in_month

        # Items of quantity 1 and no unit count on the orders: units come from the items.
        assert (r["UNITS"], r["UNIT_ORDERS"]) == (4, 4)

        f = row(features, friend.id)
        assert math.isnan(f["AGE"])
        assert f["COUNTRY"] == 0
        assert f["CITY"] == 0
        assert f["REFERRALS"] == 0
        assert f["GAP_MEAN_DAYS"] == 0
        assert f["GAP_SD_DAYS"] == 0
        assert f["category:bakery"] == pytest.approx(20)

    async def test_an_organization_without_buyers_has_no_rows(self) -> None:
        tenant = await make_tenant()
        vocabulary = await load_vocabulary(tenant.organization_id)
        assert vocabulary == Vocabulary()
        features = await load_features(tenant.organization_id, AS_OF, vocabulary)
        assert len(features) == 0
        assert features.values.shape == (0, BASE_COLUMNS)

    async def test_other_organizations_are_not_read(self) -> None:
        mine = await make_tenant()
        theirs = await make_tenant("Globex")
        await add_buyer(mine.organization_id, 1, category="ours")
        await add_buyer(theirs.organization_id, 2, category="theirs", tags=("secret",))
        vocabulary = await load_vocabulary(mine.organization_id)
        assert vocabulary.categories == ("ours",)
        assert vocabulary.tags == ()
        features = await load_features(mine.organization_id, AS_OF, vocabulary)
        assert len(features) == 1


class TestUnits:
    async def test_an_orders_own_unit_count_wins_over_its_item_lines(self) -> None:
        tenant = await make_tenant()
        org = tenant.organization_id
        counted = await add_buyer(org, 1, orders=2, category=None)
        await Order.filter(customer_id=counted.id).update(units=3)
        # One order of the other customer has no count: its items' quantities stand in
        # only when none of the customer's orders has a count.
        lines = await add_buyer(org, 2, orders=2)
        await OrderItem.filter(order__customer_id=lines.id).update(quantity=2)
        features = await load_features(org, AS_OF, await load_vocabulary(org))
        assert (row(features, counted.id)["UNITS"], row(features, counted.id)["UNIT_ORDERS"]) == (
            6,
            2,
        )
        assert (row(features, lines.id)["UNITS"], row(features, lines.id)["UNIT_ORDERS"]) == (4, 2)


class TestPredictions:
    async def test_the_churn_band_is_read_high_or_not_or_unknown(self) -> None:
        tenant = await make_tenant()
        org = tenant.organization_id
        high = await add_buyer(org, 1)
        medium = await add_buyer(org, 2)
        unknown = await add_buyer(org, 3)
        await Customer.filter(id=high.id).update(churn_risk=ChurnRisk.HIGH)
        await Customer.filter(id=medium.id).update(churn_risk=ChurnRisk.MEDIUM)
        features = await load_features(org, AS_OF, await load_vocabulary(org))
        assert [row(features, c.id)["HIGH_CHURN_RISK"] for c in (high, medium, unknown)] == [
            1,
            0,
            -1,
        ]
