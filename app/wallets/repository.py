"""Ledger queries: entries, lots, the wallet columns of the customer row, and due work."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Case, Q, When
from tortoise.functions import Count, Sum

from app.core.keyset import newest_first
from app.customers.repository import visibility
from app.models.customer import Customer
from app.models.wallet import LedgerEntry, LedgerKind


async def entry_by_key(organization_id: uuid.UUID, key: str) -> LedgerEntry | None:
    return await LedgerEntry.get_or_none(organization_id=organization_id, idempotency_key=key)


async def open_lots(customer_id: uuid.UUID, conn: BaseDBAsyncClient) -> list[LedgerEntry]:
    return await LedgerEntry.filter(customer_id=customer_id, remaining__gt=0).using_db(conn)


async def set_remaining(lots: list[LedgerEntry], conn: BaseDBAsyncClient) -> None:
    """Write the `remaining` of these lots in one statement (a debit may consume dozens: an
    erasure or a merge empties a whole wallet)."""
    if lots:
        await LedgerEntry.bulk_update(lots, fields=["remaining"], using_db=conn)


async def append(conn: BaseDBAsyncClient, **values: Any) -> LedgerEntry:
    return await LedgerEntry.create(using_db=conn, **values)


async def append_many(entries: list[LedgerEntry], conn: BaseDBAsyncClient) -> None:
    await LedgerEntry.bulk_create(entries, using_db=conn)


async def open_lot_values(
    customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> list[tuple[uuid.UUID, int, dt.datetime | None]]:
    """(id, remaining, expires_at) of the customer's open lots, without building models."""
    rows = (
        await LedgerEntry.filter(customer_id=customer_id, remaining__gt=0)
        .using_db(conn)
        .values_list("id", "remaining", "expires_at")
    )
    return [(uuid.UUID(str(i)), int(r), e) for i, r, e in rows]


async def empty_lots(
    customer_id: uuid.UUID, lot_ids: list[uuid.UUID] | None, conn: BaseDBAsyncClient
) -> None:
    """Spend the customer's open lots entirely (only `lot_ids` among them, when given)."""
    query = LedgerEntry.filter(customer_id=customer_id, remaining__gt=0)
    if lot_ids is not None:
        query = query.filter(id__in=lot_ids)
    await query.using_db(conn).update(remaining=0)


async def set_wallet(customer: Customer, conn: BaseDBAsyncClient) -> None:
    """Write the cached balance and lifetime points of the row, in the entry's transaction."""
    await (
        Customer.filter(id=customer.id)
        .using_db(conn)
        .update(points_balance=customer.points_balance, lifetime_points=customer.lifetime_points)
    )


async def expiring_total(
    organization_id: uuid.UUID, customer_id: uuid.UUID, until: dt.datetime
) -> int:
    rows: list[dict[str, Any]] = (
        await LedgerEntry.filter(
            organization_id=organization_id,
            customer_id=customer_id,
            remaining__gt=0,
            expires_at__lte=until,
        )
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


async def due_lots(organization_id: uuid.UUID, now: dt.datetime, limit: int) -> list[LedgerEntry]:
    return (
        await LedgerEntry.filter(
            organization_id=organization_id, expires_at__lte=now, remaining__gt=0
        )
        .order_by("expires_at", "id")
        .limit(limit)
    )


async def lot(lot_id: uuid.UUID, conn: BaseDBAsyncClient) -> LedgerEntry | None:
    return await LedgerEntry.filter(id=lot_id).using_db(conn).first()


async def earn_lot_of_order(order_id: uuid.UUID, conn: BaseDBAsyncClient) -> LedgerEntry | None:
    """The base points' lot of an order (not one an earning rule wrote for it)."""
    return (
        await LedgerEntry.filter(order_id=order_id, kind=LedgerKind.EARN, earning_rule_id=None)
        .using_db(conn)
        .first()
    )


async def birthday_customer_ids(
    organization_id: uuid.UUID, monthdays: list[int], after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Enrolled live customers with a birthday on one of `monthdays`, in id order after `after`."""
    query = visibility.live_rows_of(organization_id).filter(
        birthday_monthday__in=monthdays, loyalty_enrolled=True
    )
    if after is not None:
        query = query.filter(id__gt=after)
    ids: list[uuid.UUID] = await query.order_by("id").limit(limit).values_list("id", flat=True)  # type: ignore[assignment]
    return ids


async def newest_of_customer(
    organization_id: uuid.UUID, customer_id: uuid.UUID, limit: int, before: uuid.UUID | None
) -> list[LedgerEntry]:
    query = LedgerEntry.filter(organization_id=organization_id, customer_id=customer_id)
    return await newest_first(query, limit, before)


async def count_of_customer(organization_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    query = LedgerEntry.filter(organization_id=organization_id, customer_id=customer_id)
    return await query.count()


# The finance figures: set-based over the organization's rows, one statement each.


async def outstanding_points(organization_id: uuid.UUID) -> int:
    """Points held by the organization's customers: the sum of the cached balances, which is
    the sum of the ledger (read from the (organization, points_balance, id) index alone)."""
    rows: list[dict[str, Any]] = (
        await visibility.rows_of(organization_id)
        .annotate(total=Sum("points_balance"))
        .values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


async def expiring_points(organization_id: uuid.UUID, horizons: list[dt.datetime]) -> list[int]:
    """Unspent points of lots expiring by each of `horizons` (cumulative), one statement on
    the (organization, expires_at) index. Lots already past their date but not yet expired by
    the expiry job are included: they are still in the balances until it runs."""
    if not horizons:
        return []
    sums = {
        f"by_{i}": Sum("remaining", _filter=Q(expires_at__lte=h)) for i, h in enumerate(horizons)
    }
    rows: list[dict[str, Any]] = (
        await LedgerEntry.filter(
            organization_id=organization_id, expires_at__lte=max(horizons), remaining__gt=0
        )
        .annotate(**sums)
        .values(*sums)
    )
    row = rows[0] if rows else {}
    return [int(row.get(name) or 0) for name in sums]


async def ledger_sums(
    organization_id: uuid.UUID, bounds: list[dt.datetime]
) -> list[dict[LedgerKind, tuple[int, int]]]:
    """For each period [bounds[i], bounds[i+1]): (points, entries) per ledger kind.

    One statement: each entry's period is a CASE over the boundaries (computed by the caller
    in the organization's time zone, so both databases group alike), grouped with the kind.
    """
    periods = len(bounds) - 1
    found: list[dict[LedgerKind, tuple[int, int]]] = [{} for _ in range(periods)]
    if periods <= 0:
        return found
    period = Case(
        *(When(created_at__lt=bound, then=str(i)) for i, bound in enumerate(bounds[1:])),
        default=str(periods),
    )
    rows: list[dict[str, Any]] = (
        await LedgerEntry.filter(
            organization_id=organization_id, created_at__gte=bounds[0], created_at__lt=bounds[-1]
        )
        .annotate(period=period)
        .annotate(points_sum=Sum("points"), entries=Count("id"))
        .group_by("period", "kind")
        .values("period", "kind", "points_sum", "entries")
    )
    for row in rows:
        index = int(row["period"])
        found[index][LedgerKind(row["kind"])] = (int(row["points_sum"] or 0), int(row["entries"]))
    return found
