"""Merge queries: locking the customers of a merge, moving rows between them by id, the merge
records, their members and the aliases of standing merges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count, Max, Min, Sum
from tortoise.models import Model

from app.core.keyset import newest_first
from app.customers.repository import visibility
from app.models.consent import ConsentChannel, ConsentEvent
from app.models.customer import Customer
from app.models.merge import (
    AliasKind,
    CustomerAlias,
    CustomerMerge,
    CustomerMergeMember,
    MergeRole,
)
from app.models.order import Order, OrderStatus
from app.models.wallet import LedgerEntry, LedgerKind

# Rows re-pointed per statement: well under SQLite's and asyncpg's parameter limits.
_CHUNK = 1000
MOVABLE: dict[str, type[Model]] = {
    "orders": Order,
    "ledger_entries": LedgerEntry,
    "consent_events": ConsentEvent,
}


async def lock_customers(
    organization_id: uuid.UUID, ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> dict[uuid.UUID, Customer]:
    """The organization's rows among `ids`, locked in id order (so two merges sharing a
    customer queue behind each other instead of deadlocking; SQLite has a single writer)."""
    rows = (
        await visibility.rows_of(organization_id)
        .filter(id__in=list(ids))
        .order_by("id")
        .select_for_update()
        .using_db(conn)
    )
    return {row.id: row for row in rows}


async def opted_out_channels(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient
) -> dict[uuid.UUID, dict[str, bool]]:
    """Per customer, whether the latest email and push evidence is an explicit opt-out."""
    events = (
        await ConsentEvent.filter(
            organization_id=organization_id,
            customer_id__in=list(customer_ids),
            channel__in=[ConsentChannel.EMAIL, ConsentChannel.PUSH],
        )
        .order_by("created_at", "id")
        .using_db(conn)
        .values_list("customer_id", "channel", "state")
    )
    latest: dict[uuid.UUID, dict[str, bool]] = {}
    for customer_id, channel, state in events:
        latest.setdefault(customer_id, {})[str(channel).lower()] = state == "UNSUBSCRIBED"
    return latest


async def ids_of(kind: str, customer_id: uuid.UUID, conn: BaseDBAsyncClient) -> list[uuid.UUID]:
    model = MOVABLE[kind]
    rows = await model.filter(customer_id=customer_id).using_db(conn).values_list("id", flat=True)
    return [uuid.UUID(str(row)) for row in rows]


async def repoint(
    kind: str, ids: Sequence[uuid.UUID], customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> None:
    model = MOVABLE[kind]
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        await model.filter(id__in=chunk).using_db(conn).update(customer_id=customer_id)


async def repoint_all(
    kind: str, source_id: uuid.UUID, customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> None:
    await MOVABLE[kind].filter(customer_id=source_id).using_db(conn).update(customer_id=customer_id)


async def lifetime_of_entries(ids: Sequence[uuid.UUID], conn: BaseDBAsyncClient) -> int:
    """Points of the EARN and REFUND entries among `ids`: the lifetime points they carry."""
    total = 0
    for start in range(0, len(ids), _CHUNK):
        rows: list[dict[str, Any]] = (
            await LedgerEntry.filter(
                id__in=list(ids[start : start + _CHUNK]),
                kind__in=[LedgerKind.EARN, LedgerKind.REFUND],
            )
            .using_db(conn)
            .annotate(total=Sum("points"))
            .values("total")
        )
        total += int(rows[0]["total"] or 0) if rows else 0
    return total


async def recount_orders(customer: Customer, conn: BaseDBAsyncClient) -> None:
    """Set the row's purchase statistics from its completed orders (after orders moved)."""
    rows: list[dict[str, Any]] = (
        await Order.filter(customer_id=customer.id, status=OrderStatus.COMPLETED)
        .using_db(conn)
        .annotate(n=Count("id"), spent=Sum("total"), first=Min("placed_at"), last=Max("placed_at"))
        .values("n", "spent", "first", "last")
    )
    row = rows[0] if rows else {}
    customer.order_count = int(row.get("n") or 0)
    customer.total_spent = Decimal(str(row.get("spent") or 0))
    customer.first_order_at = row.get("first")
    customer.last_order_at = row.get("last")


async def save_customer(customer: Customer, fields: Sequence[str], conn: BaseDBAsyncClient) -> None:
    await customer.save(update_fields=[*fields, "updated_at"], using_db=conn)


async def create_merge(conn: BaseDBAsyncClient, **values: Any) -> CustomerMerge:
    return await CustomerMerge.create(using_db=conn, **values)


async def add_members(
    merge_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_ids: Sequence[uuid.UUID],
    conn: BaseDBAsyncClient,
) -> None:
    members = [
        CustomerMergeMember(
            merge_id=merge_id, customer_id=survivor_id, role=MergeRole.SURVIVOR, position=0
        )
    ]
    members += [
        CustomerMergeMember(
            merge_id=merge_id, customer_id=merged_id, role=MergeRole.MERGED, position=n
        )
        for n, merged_id in enumerate(merged_ids, start=1)
    ]
    await CustomerMergeMember.bulk_create(members, using_db=conn)


async def add_aliases(aliases: Sequence[CustomerAlias], conn: BaseDBAsyncClient) -> None:
    if aliases:
        await CustomerAlias.bulk_create(list(aliases), using_db=conn)


async def drop_aliases(merge_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    await CustomerAlias.filter(merge_id=merge_id).using_db(conn).delete()


async def alias_taken(
    organization_id: uuid.UUID,
    kind: AliasKind,
    value: str,
    conn: BaseDBAsyncClient,
    *,
    except_merge: uuid.UUID | None = None,
) -> bool:
    query = CustomerAlias.filter(organization_id=organization_id, kind=kind, value=value)
    if except_merge is not None:
        query = query.exclude(merge_id=except_merge)
    return await query.using_db(conn).exists()


async def live_holder(
    organization_id: uuid.UUID,
    column: str,
    value: str,
    exclude: Sequence[uuid.UUID],
    conn: BaseDBAsyncClient,
) -> bool:
    return (
        await visibility.rows_of(organization_id)
        .filter(**{column: value})
        .exclude(id__in=list(exclude))
        .using_db(conn)
        .exists()
    )


async def lock_merge(
    organization_id: uuid.UUID, merge_id: uuid.UUID, conn: BaseDBAsyncClient
) -> CustomerMerge | None:
    return (
        await CustomerMerge.filter(organization_id=organization_id, id=merge_id)
        .select_for_update()
        .using_db(conn)
        .first()
    )


async def get_merge(organization_id: uuid.UUID, merge_id: uuid.UUID) -> CustomerMerge | None:
    return await CustomerMerge.get_or_none(organization_id=organization_id, id=merge_id)


async def later_standing_merge(merge: CustomerMerge, conn: BaseDBAsyncClient) -> uuid.UUID | None:
    """A standing merge made after `merge` that involves its survivor: it builds on `merge`."""
    found = (
        await CustomerMergeMember.filter(
            customer_id=merge.survivor_id,
            merge_id__gt=merge.id,
            merge__undone_at__isnull=True,
        )
        .using_db(conn)
        .order_by("-merge_id")
        .values_list("merge_id", flat=True)
    )
    return uuid.UUID(str(found[0])) if found else None


async def set_undone(merge: CustomerMerge, conn: BaseDBAsyncClient) -> None:
    await merge.save(update_fields=["undone_at", "undone_by_kind", "undone_by_id"], using_db=conn)


async def merges_page(
    organization_id: uuid.UUID,
    limit: int,
    after: uuid.UUID | None,
    customer_id: uuid.UUID | None = None,
) -> tuple[list[CustomerMerge], Any]:
    """Merges newest first (with `customer_id`: those it took part in) and their counter."""
    query = CustomerMerge.filter(organization_id=organization_id)
    if customer_id is not None:
        query = query.filter(members__customer_id=customer_id)
    return await newest_first(query, limit, after), query.count
