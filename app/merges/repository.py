"""Merge queries: locking the customers of a merge, moving rows between them by id, the merge
records, their members and the aliases of standing merges."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count, Max, Min, Sum
from tortoise.models import Model
from tortoise.queryset import QuerySet

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


def _sql(conn: BaseDBAsyncClient, postgres: str, sqlite: str) -> str:
    return postgres if conn.capabilities.dialect == "postgres" else sqlite


def _param(conn: BaseDBAsyncClient, value: uuid.UUID) -> object:
    # SQLite keeps UUIDs as text.
    return value if conn.capabilities.dialect == "postgres" else str(value)


async def move_all(
    kind: str, source_id: uuid.UUID, customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> list[uuid.UUID]:
    """Re-point every row of `kind` of `source_id` to `customer_id`; the ids moved.
    One statement (RETURNING, on both databases) however many rows the customer has."""
    # Only a table name of our own models is interpolated, never a value.
    table = MOVABLE[kind]._meta.db_table
    sql = _sql(
        conn,
        f'UPDATE "{table}" SET customer_id = $1 WHERE customer_id = $2 RETURNING id',  # noqa: S608
        f'UPDATE "{table}" SET customer_id = ? WHERE customer_id = ? RETURNING id',  # noqa: S608
    )
    # execute_query drops the RETURNING rows of an UPDATE on asyncpg; the dict form keeps them.
    rows = await conn.execute_query_dict(sql, [_param(conn, customer_id), _param(conn, source_id)])
    return [uuid.UUID(str(row["id"])) for row in rows]


async def move_back(
    kind: str, ids: Sequence[uuid.UUID], customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> None:
    """Re-point exactly the rows `ids` of `kind` to `customer_id`, in one statement."""
    if not ids:
        return
    table = MOVABLE[kind]._meta.db_table
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query(
            f'UPDATE "{table}" SET customer_id = $1 WHERE id = ANY($2::uuid[])',  # noqa: S608
            [customer_id, list(ids)],
        )
        return
    await conn.execute_query(
        f'UPDATE "{table}" SET customer_id = ?'  # noqa: S608
        " WHERE id IN (SELECT value FROM json_each(?))",
        [str(customer_id), json.dumps([str(i) for i in ids])],
    )


async def lifetime_of(customer_id: uuid.UUID, conn: BaseDBAsyncClient) -> int:
    """Points of the customer's EARN and REFUND entries: the lifetime points they carry."""
    rows: list[dict[str, Any]] = (
        await LedgerEntry.filter(
            customer_id=customer_id, kind__in=[LedgerKind.EARN, LedgerKind.REFUND]
        )
        .using_db(conn)
        .annotate(total=Sum("points"))
        .values("total")
    )
    return int(rows[0]["total"] or 0) if rows else 0


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


def listed(
    organization_id: uuid.UUID, customer_id: uuid.UUID | None = None
) -> QuerySet[CustomerMerge]:
    """The organization's merges (with `customer_id`: those it took part in), undone included."""
    query = CustomerMerge.filter(organization_id=organization_id)
    if customer_id is not None:
        query = query.filter(members__customer_id=customer_id)
    return query
