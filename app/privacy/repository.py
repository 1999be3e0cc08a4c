"""The privacy domain's queries: writing blocklist entries, re-keying them, and the customer
rows an identifier status is read from. Probing the blocklist is a visibility rule and lives
with the others in `app.customers.repository.visibility`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from app.customers.repository import visibility
from app.models.customer import Customer
from app.models.privacy import BlocklistEntry, BlockReason

REKEY_BATCH = 1000


async def add_entries(
    organization_id: uuid.UUID,
    digests: Sequence[str],
    key_version: int,
    reason: BlockReason,
    conn: BaseDBAsyncClient,
) -> None:
    """Add digests not already on the organization's blocklist (blocking twice is a no-op)."""
    present = await visibility.blocked_digests(organization_id, list(digests), conn)
    rows = [
        BlocklistEntry(
            organization_id=organization_id, digest=d, key_version=key_version, reason=reason
        )
        for d in dict.fromkeys(digests)
        if d not in present
    ]
    if rows:
        await BlocklistEntry.bulk_create(rows, using_db=conn)


async def mark_customers_blocked(
    organization_id: uuid.UUID, column: str, value: str, conn: BaseDBAsyncClient
) -> int:
    """Hide every customer row holding this identifier; the unique index finds it."""
    updated: int = (
        await visibility.rows_of(organization_id)
        .filter(**{column: value})
        .using_db(conn)
        .update(blocked=True)
    )
    return updated


async def remove_entries(
    organization_id: uuid.UUID, digests: Sequence[str], conn: BaseDBAsyncClient
) -> int:
    removed: int = (
        await BlocklistEntry.filter(organization_id=organization_id, digest__in=list(digests))
        .using_db(conn)
        .delete()
    )
    return removed


async def mark_customers_unblocked(
    organization_id: uuid.UUID, column: str, value: str, conn: BaseDBAsyncClient
) -> None:
    await (
        visibility.rows_of(organization_id)
        .filter(**{column: value})
        .using_db(conn)
        .update(blocked=False)
    )


async def reason_of(organization_id: uuid.UUID, digests: list[str]) -> BlockReason | None:
    """Why the identifier with these probe digests is blocked (None: it is not)."""
    entry = await BlocklistEntry.filter(organization_id=organization_id, digest__in=digests).first()
    return entry.reason if entry is not None else None


async def holder(organization_id: uuid.UUID, column: str, value: str) -> Customer | None:
    """The customer row (any status) holding a normalized identifier."""
    return await visibility.rows_of(organization_id).filter(**{column: value}).first()


async def customer_row(organization_id: uuid.UUID, customer_id: uuid.UUID) -> Customer | None:
    return await visibility.rows_of(organization_id).get_or_none(id=customer_id)


@dataclass(frozen=True)
class StaleEntry:
    id: uuid.UUID
    organization_id: uuid.UUID
    digest: str
    key_version: int


async def stale_entries(
    current_version: int, after: uuid.UUID | None, limit: int = REKEY_BATCH
) -> list[StaleEntry]:
    """Entries of every organization under an older key version, in id order after `after`."""
    query = BlocklistEntry.filter(key_version__lt=current_version)
    if after is not None:
        query = query.filter(id__gt=after)
    rows = await query.order_by("id").limit(limit)
    return [
        StaleEntry(r.id, r.organization_id, r.digest, r.key_version)  # type: ignore[arg-type]
        for r in rows
    ]


async def rewrite_digest(
    entry_id: uuid.UUID, digest: str, key_version: int, conn: BaseDBAsyncClient
) -> None:
    await (
        BlocklistEntry.filter(id=entry_id)
        .using_db(conn)
        .update(digest=digest, key_version=key_version)
    )
