"""Synthetic customers, orders, items and ledgers: pure and deterministic.

No database and no clock: the same `SeedPlan` (seed, sizes, `now`, program rules, stores) gives
the same data, block by block, so the writer can generate blocks in any process and any order.
Rows carry no ids: the writer assigns time-ordered ids in row order, and rows come sorted so
that this order is the order of creation (customers by signup; a customer's orders and ledger
entries by time), as if the service had written them one by one.

What is planted, for the persona work to recover (each customer's group is in its traits as
`{"seedGroup": name}`, a label for tests, never a feature): see `catalog.GROUPS`. What holds,
as the services keep it:
- every order's item prices sum to its total; points = the program's earning rule on the total;
- every order that earns points has one EARN entry (reason "order", its order, expiring
  `expire_after_days` after the purchase); referrers get an EARN "referral bonus" when the
  customer they referred signs up (and the referee a welcome bonus when the program has one);
- redemptions spend lots oldest-expiring first and never more than the balance; lots that
  reached their expiry before `now` were expired by an EXPIRE entry, as the expiry job does;
- balance = sum of entries = sum of lots' remaining; lifetime points = sum of EARN entries;
  order count, total spent, first and last order match the orders; lifecycle stage follows
  `app.lifecycle.rules.stage_for` at `now`.
"""

from __future__ import annotations

import numpy as np

from app.seed.ledgers import (
    ledgers,
    order_statistics,
)
from app.seed.people import (
    people,
)
from app.seed.plan import US_PER_DAY, SeedBlock, SeedPlan, group_shares, traits_json
from app.seed.purchases import (
    purchases,
    referrals,
)


def generate_block(plan: SeedPlan, first_index: int, count: int) -> SeedBlock:
    """The customers [first_index, first_index + count) of the plan, with their history."""
    rng = np.random.default_rng([plan.seed & 0xFFFFFFFF, plan.seed >> 32, first_index, count])
    now_us = plan.now_us
    n = count
    groups = plan.groups
    n_groups = len(groups)

    group = rng.choice(n_groups, size=n, p=group_shares(groups)).astype(np.int8)
    signup_lo = np.array([g.signup_days[0] for g in groups], dtype=np.float64)[group]
    signup_hi = np.array([g.signup_days[1] for g in groups], dtype=np.float64)[group]
    created = now_us - (rng.uniform(signup_lo, signup_hi) * US_PER_DAY).astype(np.int64)
    # Rows in signup order: referrers come before the customers they referred.
    order_of_rows = np.argsort(created, kind="stable")
    group = group[order_of_rows]
    created = created[order_of_rows]
    index = (first_index + np.arange(n, dtype=np.int64))[order_of_rows]

    customers = people(plan, rng, index, group, created)
    orders, items = purchases(plan, rng, group, created)
    referrer = referrals(rng, group, created, groups, plan.kind.referred_share)
    customers.referrer = referrer
    ledger = ledgers(plan, rng, customers, orders)

    order_statistics(plan, customers, orders, ledger)
    return SeedBlock(first_index, customers, orders, items, ledger, traits_json(groups))
