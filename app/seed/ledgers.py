"""Synthetic ledgers (earn, redeem, expire, as the services would have written them) and the
order statistics and lifecycle stage they leave on each customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.seed.plan import (
    EARN,
    EXPIRE,
    K_EXPIRE,
    K_ORDER,
    K_REDEEM,
    K_REFEREE,
    K_REFERRAL,
    R_EXPIRED,
    R_ORDER,
    R_REDEEM,
    R_REFERRAL,
    R_WELCOME,
    REDEEM,
    S_ACTIVE,
    S_AT_RISK,
    S_LOST,
    S_MEMBER,
    S_ONE_TIME,
    US_PER_DAY,
    US_PER_SECOND,
    Customers,
    Ledger,
    Orders,
    SeedPlan,
)

if TYPE_CHECKING:
    pass


class _LedgerBuffer:
    __slots__ = (
        "balance_after",
        "created_at",
        "customer",
        "expires_at",
        "key_kind",
        "key_ref",
        "kind",
        "order",
        "points",
        "reason",
        "remaining",
    )

    def __init__(self) -> None:
        self.customer: list[int] = []
        self.kind: list[int] = []
        self.points: list[int] = []
        self.reason: list[int] = []
        self.order: list[int] = []
        self.key_kind: list[int] = []
        self.key_ref: list[int] = []
        self.expires_at: list[int] = []
        self.remaining: list[int] = []
        self.balance_after: list[int] = []
        self.created_at: list[int] = []

    def freeze(self) -> Ledger:
        return Ledger(
            customer=np.array(self.customer, dtype=np.int32),
            kind=np.array(self.kind, dtype=np.int8),
            points=np.array(self.points, dtype=np.int64),
            reason=np.array(self.reason, dtype=np.int8),
            order=np.array(self.order, dtype=np.int32),
            key_kind=np.array(self.key_kind, dtype=np.int8),
            key_ref=np.array(self.key_ref, dtype=np.int32),
            expires_at=np.array(self.expires_at, dtype=np.int64),
            remaining=np.array(self.remaining, dtype=np.int64),
            balance_after=np.array(self.balance_after, dtype=np.int64),
            created_at=np.array(self.created_at, dtype=np.int64),
        )


def ledgers(plan: SeedPlan, rng: np.random.Generator, people: Customers, orders: Orders) -> Ledger:
    """Replay each customer's history through the rules of `app.wallets.ledger`.

    Lots are spent and expired oldest-expiring first; every lot lives `expire_after_days`, so
    that is also creation order and the open lots of a customer form a queue.
    """
    rules = plan.rules
    n = len(people)
    m = len(orders)
    now_us = plan.now_us
    life_us = rules.expire_after_days * US_PER_DAY if rules.expire_after_days else None

    group = people.group
    groups = plan.groups
    chance = np.array([g.redeem_chance for g in groups])[group[orders.customer]]
    redeems = (rng.random(m) < chance).tolist()
    share_min = np.array([g.redeem_share_min for g in groups])[group[orders.customer]]
    share = rng.uniform(share_min, 1.0).tolist()
    step_of = [g.redeem_step for g in groups]
    # A redemption happens at the till right after the purchase (before the next one).
    placed = orders.placed_at
    gap = np.full(m, 60 * US_PER_SECOND, dtype=np.int64)
    if m > 1:
        same = orders.customer[1:] == orders.customer[:-1]
        gap[:-1] = np.where(same, np.minimum((placed[1:] - placed[:-1]) // 2, gap[:-1]), gap[:-1])
    redeem_at = (placed + np.maximum(gap, 1)).tolist()
    placed_l = placed.tolist()
    points_l = orders.points.tolist()
    order_bounds = np.searchsorted(orders.customer, np.arange(n + 1)).tolist()

    # Referral bonuses of each referrer, in the signup order of the customers they referred.
    referrer = people.referrer
    referred_rows = np.flatnonzero(referrer >= 0)
    by_referrer = referred_rows[np.argsort(referrer[referred_rows], kind="stable")]
    ref_bounds = np.searchsorted(referrer[by_referrer], np.arange(n + 1)).tolist()
    by_referrer_l = by_referrer.tolist()
    created_l = people.created_at.tolist()
    referrer_l = referrer.tolist()
    group_l = group.tolist()

    out = _LedgerBuffer()
    c_customer, c_kind, c_points, c_reason = out.customer, out.kind, out.points, out.reason
    c_order, c_key_kind, c_key_ref = out.order, out.key_kind, out.key_ref
    c_expires, c_remaining, c_balance, c_created = (
        out.expires_at,
        out.remaining,
        out.balance_after,
        out.created_at,
    )
    referral_bonus, welcome_bonus = rules.referral_bonus, rules.referee_bonus
    balances = [0] * n
    lifetimes = [0] * n

    for c in range(n):
        # Lots: ledger row, expiry, remaining; `head` is the oldest lot still open.
        lot_row: list[int] = []
        lot_expiry: list[int] = []
        lot_left: list[int] = []
        head = 0
        balance = 0
        lifetime = 0

        # Credits in time order: (time, what, reference). 0 = order, 1 = referral, 2 = welcome.
        events: list[tuple[int, int, int]] = [
            (placed_l[o], 0, o) for o in range(order_bounds[c], order_bounds[c + 1])
        ]
        lo, hi = ref_bounds[c], ref_bounds[c + 1]
        if lo < hi and referral_bonus > 0:
            events.extend((created_l[r], 1, r) for r in by_referrer_l[lo:hi])
        if welcome_bonus > 0 and referrer_l[c] >= 0:
            events.append((created_l[c], 2, c))
        if lo < hi or len(events) > order_bounds[c + 1] - order_bounds[c]:
            events.sort()
        events.append((now_us, 3, -1))  # the end: expire what is due

        for when, what, ref in events:
            if life_us is not None:
                while head < len(lot_row) and lot_expiry[head] <= when:
                    left = lot_left[head]
                    if left > 0:
                        balance -= left
                        lot_left[head] = 0
                        c_customer.append(c)
                        c_kind.append(EXPIRE)
                        c_points.append(-left)
                        c_reason.append(R_EXPIRED)
                        c_order.append(-1)
                        c_key_kind.append(K_EXPIRE)
                        c_key_ref.append(lot_row[head])
                        c_expires.append(-1)
                        c_remaining.append(0)
                        c_balance.append(balance)
                        c_created.append(lot_expiry[head])
                    head += 1
            if what == 3:
                break
            if what == 0:
                points = points_l[ref]
                reason, key_kind, order_row = R_ORDER, K_ORDER, ref
            elif what == 1:
                points, reason, key_kind, order_row = referral_bonus, R_REFERRAL, K_REFERRAL, -1
            else:
                points, reason, key_kind, order_row = welcome_bonus, R_WELCOME, K_REFEREE, -1
            if points > 0:
                row = len(c_customer)
                balance += points
                lifetime += points
                expiry = when + life_us if life_us is not None else -1
                c_customer.append(c)
                c_kind.append(EARN)
                c_points.append(points)
                c_reason.append(reason)
                c_order.append(order_row)
                c_key_kind.append(key_kind)
                c_key_ref.append(ref)
                c_expires.append(expiry)
                c_remaining.append(points)  # the final value is written below
                c_balance.append(balance)
                c_created.append(when)
                lot_row.append(row)
                lot_expiry.append(expiry)
                lot_left.append(points)
            if what != 0 or not redeems[ref]:
                continue
            step = step_of[group_l[c]]
            if balance < step:
                continue
            spend = step * int(balance * share[ref] // step)
            if spend < step:
                continue
            at = redeem_at[ref]
            if life_us is not None and lot_expiry[head] <= at:
                continue  # a lot expires in between: skip this one rather than reorder
            balance -= spend
            left_to_take = spend
            i = head
            while left_to_take:
                take = min(lot_left[i], left_to_take)
                lot_left[i] -= take
                left_to_take -= take
                i += 1
            row = len(c_customer)
            c_customer.append(c)
            c_kind.append(REDEEM)
            c_points.append(-spend)
            c_reason.append(R_REDEEM)
            c_order.append(-1)
            c_key_kind.append(K_REDEEM)
            c_key_ref.append(row)
            c_expires.append(-1)
            c_remaining.append(0)
            c_balance.append(balance)
            c_created.append(at)

        for row, left in zip(lot_row, lot_left, strict=True):
            c_remaining[row] = left
        balances[c] = balance
        lifetimes[c] = lifetime

    people.points_balance = np.array(balances, dtype=np.int64)
    people.lifetime_points = np.array(lifetimes, dtype=np.int64)
    return out.freeze()


def order_statistics(plan: SeedPlan, people: Customers, orders: Orders, ledger: Ledger) -> None:
    n = len(people)
    counts = np.bincount(orders.customer, minlength=n).astype(np.int32)
    spent = np.rint(np.bincount(orders.customer, weights=orders.total, minlength=n))
    bounds = np.searchsorted(orders.customer, np.arange(n + 1))
    has = counts > 0
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    first[has] = orders.placed_at[bounds[:-1][has]]
    last[has] = orders.placed_at[bounds[1:][has] - 1]
    people.order_count = counts
    people.total_spent = spent.astype(np.int64)
    people.first_order_at = first
    people.last_order_at = last

    # Favorite store from purchase history: the store of most of the customer's orders.
    favorite = np.full(n, -1, dtype=np.int16)
    if len(orders):
        n_stores = len(plan.store_online)
        tally = np.zeros((n, n_stores), dtype=np.int32)
        np.add.at(tally, (orders.customer, orders.store), 1)
        favorite[has] = tally[has].argmax(axis=1)
    people.favorite_store = favorite

    # Last write to the row: signup, the last order or the last wallet movement.
    updated = people.created_at.copy()
    np.maximum.at(updated, orders.customer, orders.placed_at)
    np.maximum.at(updated, ledger.customer, ledger.created_at)
    people.updated_at = updated

    rules = plan.rules
    age = plan.now_us - last
    stage = np.full(n, S_ACTIVE, dtype=np.int8)
    stage[counts == 1] = S_ONE_TIME
    stage[age > rules.at_risk_after_days * US_PER_DAY] = S_AT_RISK
    stage[age > rules.lost_after_days * US_PER_DAY] = S_LOST
    stage[~has] = S_MEMBER
    people.lifecycle_stage = stage
