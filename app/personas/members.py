"""A persona's members one value each, for reach: what share of them a suggested setting would
reach. Aggregates (`metrics`) say what a persona is like; a threshold reward also has to say
how many of its members would ever qualify, which only the distribution can tell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.personas.metrics import F64, Customers, Mask

# A streak or threshold reward is suggested only when at least this share of the persona's
# members would reach it (a reward almost nobody earns teaches nothing).
MIN_REACH = 0.25


@dataclass(frozen=True)
class Members:
    spend: F64
    orders: F64
    # Orders per month over the customer's tenure (its own pace).
    frequency: F64
    recency: F64
    order_value: F64
    earned: F64
    # Mean days between consecutive orders; 0 with a single order.
    days_between_orders: F64
    referrer: Mask
    birthday_known: Mask
    # Customers who bought each vocabulary category (columns in vocabulary order).
    category_buyer: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, c: Customers, mask: Mask) -> Members:
        return cls(
            spend=c.spend[mask],
            orders=c.orders[mask],
            frequency=c.frequency[mask],
            recency=c.recency[mask],
            order_value=c.order_value[mask],
            earned=c.earned[mask],
            days_between_orders=c.days_between_orders[mask],
            referrer=c.referrals[mask] > 0,
            birthday_known=c.birthday_known[mask],
            category_buyer=c.categories[mask] > 0,
        )

    def __len__(self) -> int:
        return len(self.spend)

    def share(self, condition: Mask) -> float:
        return float(condition.mean()) if len(condition) else 0.0

    def quantile(self, values: F64, q: float) -> float:
        return float(np.quantile(values, q)) if len(values) else 0.0

    @property
    def repeat_intervals(self) -> F64:
        """Days between orders of the members who came back at least once."""
        out: F64 = self.days_between_orders[self.orders >= 2]
        return out
