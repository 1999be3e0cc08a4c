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

# Day 0 of every simulated history; orders are placed at noon UTC.
START = dt.datetime(2025, 1, 6, tzinfo=dt.UTC)
NOON = dt.timedelta(hours=12)


@dataclass(frozen=True)
class History:
    """One customer's purchases: day numbers from START (sorted) and each one's total."""

    days: tuple[int, ...]
    totals: tuple[Decimal, ...]


def moment(day: float) -> dt.datetime:
    return START + dt.timedelta(days=day) + NOON


def simulated(customers: int, weeks: int, seed: int) -> list[History]:
    """Customers from the BG/NBD process with the published CDNOW parameters (r=0.243,
    alpha=4.414, a=0.793, b=2.426, weekly rates), first purchases spread over the first half
    of `weeks`, order values from Gamma-Gamma (p=6.25, q=3.74, gamma=15.44)."""
    rng = np.random.default_rng(seed)
    histories: list[History] = []
    for _ in range(customers):
        rate = rng.gamma(0.243, 1 / 4.414)
        drop = rng.beta(0.793, 2.426)
        first = float(rng.uniform(0, weeks / 2))
        times = [first]
        while True:
            if rng.random() < drop:
                break
            following = times[-1] + rng.exponential(1 / rate) if rate > 0 else weeks
            if following >= weeks:
                break
            times.append(following)
        scale = rng.gamma(3.74, 1 / 15.44)
        days = sorted({int(t * 7) for t in times})
        totals = tuple(Decimal(str(round(float(rng.gamma(6.25, 1 / scale)) + 1, 2))) for _ in days)
        histories.append(History(tuple(days), totals))
    return histories


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
