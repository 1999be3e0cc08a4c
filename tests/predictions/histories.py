"""Purchase histories written to the database as customers and completed orders, and the
(x, recency, age) the models should see for them, computed here in Python from the orders."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from app.models.customer import Customer
from app.models.order import Order, OrderStatus
from app.predictions.bgnbd import BgNbdParams
from app.predictions.gamma_gamma import GammaGammaParams
from app.predictions.simulate import simulate_bgnbd, simulate_spend

# Day 0 of every simulated history; orders are placed at noon UTC.
START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
NOON = dt.timedelta(hours=12)
# The published estimates (Fader, Hardie & Lee 2005; Fader & Hardie's Gamma-Gamma note).
CDNOW = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44)


@dataclass(frozen=True)
class History:
    """One customer's purchases: day numbers from START (sorted) and each one's total."""

    days: tuple[int, ...]
    totals: tuple[Decimal, ...]


def moment(day: float) -> dt.datetime:
    return START + dt.timedelta(days=day) + NOON


def simulated(customers: int, weeks: int, seed: int) -> list[History]:
    """Customers drawn by `app.predictions.simulate` from the BG/NBD process with the published
    CDNOW parameters (r=0.243, alpha=4.414, a=0.793, b=2.426, weekly rates), first purchases
    spread over the first half of `weeks` and measured to its end, and mean repeat order values
    from Gamma-Gamma (p=6.25, q=3.74, gamma=15.44), written as order days: the first at day
    7 (weeks - T), the last 7 t_x later, the others on distinct days between (x is capped at
    the days there are; what is written is what the tests expect the model to see)."""
    rng = np.random.default_rng(seed)
    ages = rng.uniform(weeks / 2, weeks, customers)
    drawn = simulate_bgnbd(CDNOW, ages, rng=rng)
    means = simulate_spend(CDNOW_SPEND, drawn.frequency, rng=rng)
    end = weeks * 7
    found: list[History] = []
    for i in range(customers):
        first = end - round(drawn.age[i] * 7)
        last = first + round(drawn.recency[i] * 7)
        x = int(drawn.frequency[i])
        between = max(last - first - 1, 0)
        middle = (
            sorted(
                rng.choice(
                    np.arange(first + 1, last), size=min(x - 1, between), replace=False
                ).tolist()
            )
            if x > 1 and between
            else []
        )
        days = (first, *middle, last) if x > 0 and last > first else (first,)
        value = Decimal(str(round(float(means[i]), 2))) if x > 0 else Decimal("25.00")
        first_value = Decimal(str(round(float(rng.gamma(6.25, 1 / 0.4)), 2)))
        totals = (first_value, *(max(value, Decimal("0.01")) for _ in days[1:]))
        found.append(History(tuple(int(d) for d in days), totals))
    return found


async def write(organization_id: uuid.UUID, histories: Sequence[History]) -> list[Customer]:
    """One customer per history with its completed orders (the kept statistics match)."""
    customers: list[Customer] = []
    orders: list[Order] = []
    for n, history in enumerate(histories):
        placed = [moment(day) for day in history.days]
        customer = Customer(
            id=uuid.uuid4(),
            organization_id=organization_id,
            first_name=f"P{n}",
            order_count=len(placed),
            total_spent=sum(history.totals, Decimal(0)),
            first_order_at=placed[0] if placed else None,
            last_order_at=placed[-1] if placed else None,
        )
        customers.append(customer)
        for i, (at, total) in enumerate(zip(placed, history.totals, strict=True)):
            orders.append(
                Order(
                    organization_id=organization_id,
                    customer_id=customer.id,
                    receipt_number=f"R-{n}-{i}",
                    total=total,
                    placed_at=at,
                    status=OrderStatus.COMPLETED,
                )
            )
    await Customer.bulk_create(customers, batch_size=500)
    await Order.bulk_create(orders, batch_size=500)
    return customers


@dataclass(frozen=True)
class Seen:
    """What the model should see of one customer, measured to a day: repeat purchase days,
    days from the first to the last, days from the first to the as-of day, mean repeat value."""

    x: int
    recency: int
    age: int
    monetary: Decimal | None


def seen(history: History, as_of_day: int) -> Seen | None:
    pairs = [(d, t) for d, t in zip(history.days, history.totals, strict=True) if d <= as_of_day]
    if not pairs:
        return None
    days = [d for d, _ in pairs]
    repeat = [t for _, t in pairs[1:]]
    monetary = sum(repeat, Decimal(0)) / len(repeat) if repeat else None
    return Seen(len(days) - 1, days[-1] - days[0], as_of_day - days[0], monetary)


def day_of(moment_: dt.datetime) -> int:
    return (moment_.date() - START.date()).days


def one(values: object) -> float:
    """The single value of a model function called for one customer (it returns an array)."""
    (value,) = np.asarray(values, dtype=np.float64).reshape(-1)
    return float(value)
