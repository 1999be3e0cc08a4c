"""Ledger queries: entries, lots, the wallet columns of the customer row, and due work."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Sum

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
    return await LedgerEntry.filter(order_id=order_id, kind=LedgerKind.EARN).using_db(conn).first()


async def birthday_customer_ids(
    organization_id: uuid.UUID, monthdays: list[int], after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """Enrolled live customers with a birthday on one of `monthdays`, in id order after `after`."""
    query = visibility.rows_of(organization_id).filter(
        birthday_monthday__in=monthdays, status__in=visibility.LIVE_STATUSES, loyalty_enrolled=True
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
