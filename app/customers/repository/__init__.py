"""Customer queries: writes and aggregate reads here, the visibility rules of every read in
`visibility`, search and list filters in `search`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count

from app.customers.repository import visibility
from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
from app.models.customer import Customer


async def identifier_taken(
    organization_id: uuid.UUID, column: str, value: object, exclude_id: uuid.UUID | None
) -> bool:
    """Whether another customer row of the organization holds this identifier value, or a
    standing merge keeps it as an alias (live identifiers and aliases never collide)."""
    query = visibility.rows_of(organization_id).filter(**{column: value})
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        return True
    return await visibility.is_alias(organization_id, column, str(value))


async def lock(
    organization_id: uuid.UUID, customer_id: uuid.UUID, conn: BaseDBAsyncClient
) -> Customer | None:
    """The customer row, locked until the transaction ends (a no-op lock on SQLite, where
    the single connection already serializes transactions)."""
    return (
        await visibility.rows_of(organization_id)
        .filter(id=customer_id)
        .select_for_update()
        .using_db(conn)
        .first()
    )


async def save(
    customer: Customer,
    conn: BaseDBAsyncClient,
    *,
    creating: bool = False,
    fields: Sequence[str] | None = None,
) -> None:
    """Insert the row, or update it (only `fields` when given)."""
    if fields is not None and not creating:
        await customer.save(update_fields=list(fields), using_db=conn)
        return
    await customer.save(using_db=conn, force_create=creating)


async def save_fields(customer: Customer, fields: Sequence[str], conn: BaseDBAsyncClient) -> None:
    await customer.save(update_fields=list(fields), using_db=conn)


async def record_consent(
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    changes: Sequence[tuple[ConsentChannel, str]],
    source: ConsentSource,
    conn: BaseDBAsyncClient,
) -> None:
    for channel, state in changes:
        await ConsentEvent.create(
            organization_id=organization_id,
            customer_id=customer_id,
            channel=channel,
            state=state,
            source=source,
            using_db=conn,
        )


async def save_order_stats(
    customer: Customer, conn: BaseDBAsyncClient, *, with_wallet: bool = False
) -> None:
    """Write the purchase statistics (and the stage that follows them) kept on the row;
    `with_wallet`: its cached balance too (the row is locked by the caller, whose ledger
    entries of this transaction the balance already counts)."""
    wallet = (
        {"points_balance": customer.points_balance, "lifetime_points": customer.lifetime_points}
        if with_wallet
        else {}
    )
    await (
        Customer.filter(id=customer.id)
        .using_db(conn)
        .update(
            order_count=customer.order_count,
            total_spent=customer.total_spent,
            first_order_at=customer.first_order_at,
            last_order_at=customer.last_order_at,
            lifecycle_stage=customer.lifecycle_stage,
            **wallet,
        )
    )


async def referral_counts(
    organization_id: uuid.UUID, referrer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    rows = (
        await visibility.rows_of(organization_id)
        .filter(referred_by_id__in=list(referrer_ids))
        .annotate(n=Count("id"))
        .group_by("referred_by_id")
        .values("referred_by_id", "n")
    )
    return {row["referred_by_id"]: int(row["n"]) for row in rows}
