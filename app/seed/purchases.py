"""Synthetic purchases (orders and their items, by group) and referrals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.seed import catalog
from app.seed.catalog import CATEGORIES, TAG_SETS, Group
from app.seed.plan import (
    HISTORY_DAYS,
    I8,
    I32,
    I64,
    MAX_ORDERS_PER_CUSTOMER,
    US_PER_DAY,
    US_PER_SECOND,
    Items,
    Orders,
    SeedPlan,
    group_shares,
)

if TYPE_CHECKING:
    pass


def _order_counts(plan: SeedPlan, rng: np.random.Generator, group: I8) -> I64:
    n = len(group)
    if plan.orders_per_customer <= 0:
        return np.zeros(n, dtype=np.int64)
    groups = plan.groups
    factors = np.array([g.order_factor for g in groups], dtype=np.float64)
    mean_factor = float((factors * group_shares(groups)).sum())
    expected = factors[group] * plan.orders_per_customer / mean_factor
    # At least one order each; the extra orders are Poisson, so the mean stays `expected`
    # whenever it is 1 or more.
    counts: I64 = 1 + rng.poisson(np.maximum(expected - 1, 0)).astype(np.int64)
    return np.minimum(counts, MAX_ORDERS_PER_CUSTOMER)


def _home_stores(plan: SeedPlan, rng: np.random.Generator, group: I8) -> I64:
    n = len(group)
    online = np.array([i for i, o in enumerate(plan.store_online) if o], dtype=np.int64)
    physical = np.array([i for i, o in enumerate(plan.store_online) if not o], dtype=np.int64)
    if len(online) == 0:
        online = physical
    if len(physical) == 0:
        physical = online
    # Physical stores by decreasing popularity (the flagship first).
    weights = 1.0 / np.arange(1, len(physical) + 1)
    home = physical[rng.choice(len(physical), size=n, p=weights / weights.sum())]
    goes_online = rng.random(n) < np.array([g.online_share for g in plan.groups])[group]
    home[goes_online] = online[rng.integers(0, len(online), size=int(goes_online.sum()))]
    return home


def purchases(
    plan: SeedPlan, rng: np.random.Generator, group: I8, created: I64
) -> tuple[Orders, Items]:
    n = len(group)
    now_us = plan.now_us
    groups = plan.groups
    counts = _order_counts(plan, rng, group)
    home = _home_stores(plan, rng, group)
    m = int(counts.sum())
    owner = np.repeat(np.arange(n, dtype=np.int32), counts)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    sequence = (np.arange(m, dtype=np.int64) - np.repeat(starts, counts)).astype(np.int32)

    # The window each customer buys in: after signup, within the history, and for lapsed
    # customers long before now.
    stop_days = np.array([g.last_order_days_min for g in groups], dtype=np.float64)[group]
    lapsed = stop_days > 0
    stop_days = stop_days + np.where(lapsed, rng.uniform(0, 90, size=n), 0.0)
    regular = np.array([g.regular for g in groups])[group]
    # Regulars were in within the last three weeks.
    stop_days = stop_days + np.where(regular, rng.uniform(0, 21, size=n), 0.0)
    window_end = now_us - (stop_days * US_PER_DAY).astype(np.int64) - 3_600 * US_PER_SECOND
    window_start = np.maximum(created, now_us - HISTORY_DAYS * US_PER_DAY)
    window_start = np.minimum(window_start, window_end - US_PER_DAY)
    span = (window_end - window_start).astype(np.float64)

    draw = rng.random(m)
    # Regulars buy at a steady pace, from their first visit to a recent one: evenly spaced
    # visits with some jitter.
    steady = (sequence + rng.uniform(-0.3, 0.3, size=m)) / np.maximum(counts[owner] - 1, 1)
    steady = np.where(counts[owner] == 1, 1.0 - 0.1 * draw, steady)
    position = np.where(regular[owner], np.clip(steady, 0.0, 1.0), draw)
    day_start = window_start[owner] + (position * span[owner]).astype(np.int64)
    day_start -= day_start % US_PER_DAY
    # Shopping hours: mostly afternoons and evenings (UTC, for a North American base).
    hour = np.clip(rng.normal(19.0, 3.5, size=m), 12.0, 27.5)
    placed = day_start + (hour * 3_600 * US_PER_SECOND).astype(np.int64)
    placed += rng.integers(0, US_PER_SECOND, size=m)
    # Keep inside the window without piling orders up on its edges.
    ws, we = window_start[owner], window_end[owner]
    placed = np.where(placed > we, placed - US_PER_DAY, placed)
    inside = ws + (rng.random(m) * np.minimum(span[owner], US_PER_DAY)).astype(np.int64)
    placed = np.where(placed < ws, inside, placed)
    placed = np.clip(placed, ws, we)
    placed = np.maximum(placed, created[owner])  # never before signup, whatever the window
    # Sorted by customer, then time.
    order = np.lexsort((placed, owner))
    placed = placed[order]

    at_home = rng.random(m) < 0.75
    store = np.where(at_home, home[owner], rng.integers(0, len(plan.store_online), size=m)).astype(
        np.int16
    )

    # Items: count, category, product, tags and price from the buyer's group.
    order_group = group[owner]
    lo = np.array([g.items_min for g in groups])[order_group]
    hi = np.array([g.items_max for g in groups])[order_group]
    per_order = rng.integers(lo, hi + 1)
    k = int(per_order.sum())
    item_order = np.repeat(np.arange(m, dtype=np.int32), per_order)
    item_group = order_group[item_order]
    category = np.zeros(k, dtype=np.int8)
    tag_set = np.zeros(k, dtype=np.int8)
    n_categories = len(CATEGORIES)
    for g_index, spec in enumerate(groups):
        mask = item_group == g_index
        size = int(mask.sum())
        if not size:
            continue
        weights = np.full(n_categories, 0.15)
        for c, w in spec.categories:
            weights[c] = w
        category[mask] = rng.choice(n_categories, size=size, p=weights / weights.sum())
        tag_ids = np.array([t for t, _ in spec.tag_sets])
        tag_weights = np.array([w for _, w in spec.tag_sets], dtype=np.float64)
        picked = tag_ids[rng.choice(len(tag_ids), size=size, p=tag_weights / tag_weights.sum())]
        # A few items carry any tag at all: real baskets are not that tidy.
        noise = rng.random(size) < 0.12
        picked[noise] = rng.integers(0, len(TAG_SETS), size=int(noise.sum()))
        tag_set[mask] = picked
    product = (np.square(rng.random(k)) * catalog.PRODUCTS_PER_CATEGORY).astype(np.int32)
    unit_median = np.array([c.unit_cents for c in CATEGORIES], dtype=np.float64)[category]
    price_factor = np.array([g.price_factor for g in groups])[item_group]
    sigma = np.array([g.price_sigma for g in groups])[item_group]
    unit = unit_median * price_factor * np.exp(rng.normal(0.0, 1.0, size=k) * sigma)
    # At least $1.49 an item, so every order earns at the default rate.
    dollars = np.maximum(np.rint(unit / 100.0), 2).astype(np.int64)
    ending = rng.choice(np.array([1, 51, 0]), size=k, p=[0.7, 0.15, 0.15])
    unit_cents = dollars * 100 - ending
    quantity = rng.choice(np.array([1, 2, 3], dtype=np.int32), size=k, p=[0.85, 0.11, 0.04])
    price = unit_cents * quantity
    # Exact: sums stay far below 2**53 cents.
    totals = np.rint(np.bincount(item_order, weights=price, minlength=m)).astype(np.int64)

    orders = Orders(
        customer=owner,
        store=store,
        sequence=sequence,
        placed_at=placed,
        total=totals,
        points=plan.rules.points_for_cents(totals),
    )
    items = Items(
        order=item_order,
        category=category,
        product=product,
        tag_set=tag_set,
        quantity=quantity,
        price=price,
    )
    return orders, items


# --- referrals ------------------------------------------------------------------------------


def referrals(
    rng: np.random.Generator,
    group: I8,
    created: I64,
    groups: tuple[Group, ...],
    referred_share: float = 0.4,
) -> I32:
    """Who referred whom, within the block: a referrer signed up before the customer it
    referred; social connectors are far more likely to be the one."""
    n = len(group)
    referrer = np.full(n, -1, dtype=np.int32)
    if n < 2:
        return referrer
    weights = np.array([g.referral_weight for g in groups], dtype=np.float64)[group]
    cumulative = np.cumsum(weights)
    referred = np.flatnonzero(rng.random(n) < referred_share)
    referred = referred[referred > 0]
    # Rows are in signup order, so "signed up before row j" is rows [0, j).
    draw = rng.random(len(referred)) * cumulative[referred - 1]
    chosen = np.searchsorted(cumulative, draw, side="right")
    chosen = np.minimum(chosen, referred - 1)
    keep = created[chosen] < created[referred]
    referrer[referred[keep]] = chosen[keep]
    return referrer
