"""Queries of the audit log: appending an event to its organization's chain, reading a page
of them, and reading a chain to verify it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.audit.chain import GENESIS, entry_hash
from app.core import keyset
from app.core.clock import utcnow
from app.core.ids import new_id
from app.core.transactions import atomic
from app.models.audit import ActorKind, AuditAction, AuditChainHead, AuditEvent
from app.models.organization import Organization

VERIFY_BATCH = 1000


def _marks(conn: BaseDBAsyncClient, count: int) -> list[str]:
    if conn.capabilities.dialect == "postgres":
        return [f"${n}" for n in range(1, count + 1)]
    return ["?"] * count


async def _take_next_link(conn: BaseDBAsyncClient, organization_id: uuid.UUID) -> tuple[int, str]:
    """Claim the next sequence number of the organization's chain and the hash to chain to.

    The UPDATE holds the head row's lock (PostgreSQL) or the database's write lock (SQLite)
    until the transaction ends, so concurrent writers of one organization chain one at a time;
    other organizations are not held up.
    """
    org = str(organization_id)
    a, b = _marks(conn, 2)
    await conn.execute_query(
        f"INSERT INTO audit_chain_head (id, organization_id, sequence) VALUES ({a}, {b}, 0) "  # noqa: S608
        "ON CONFLICT DO NOTHING",
        [str(new_id()), org],
    )
    # execute_query_dict: Tortoise's asyncpg execute_query drops the rows of an UPDATE.
    rows = await conn.execute_query_dict(
        "UPDATE audit_chain_head SET sequence = sequence + 1 "  # noqa: S608
        f"WHERE organization_id = {a} RETURNING sequence, hash",
        [org],
    )
    row = rows[0]
    return int(row["sequence"]), str(row["hash"] or GENESIS)


async def _chain(event: AuditEvent, conn: BaseDBAsyncClient) -> None:
    sequence, previous = await _take_next_link(conn, event.organization_id)  # type: ignore[arg-type]
    event.sequence = sequence
    event.previous_hash = previous
    event.hash = entry_hash(event, previous)
    await event.save(using_db=conn)
    a, b = _marks(conn, 2)
    await conn.execute_query(
        f"UPDATE audit_chain_head SET hash = {a} WHERE organization_id = {b}",  # noqa: S608
        [event.hash, str(event.organization_id)],
    )


async def append(
    organization_id: uuid.UUID,
    action: AuditAction,
    actor_kind: ActorKind,
    actor_id: uuid.UUID | None,
    subject_type: str,
    subject_id: uuid.UUID,
    details: dict[str, Any],
    using_db: BaseDBAsyncClient | None,
) -> AuditEvent:
    """Append an entry, chained, inside the caller's transaction (or one of its own)."""
    event = AuditEvent(
        organization_id=organization_id,
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
        # Set here, not by the database: the hash covers it.
        created_at=utcnow(),
    )
    if using_db is not None:
        await _chain(event, using_db)
        return event
    async with atomic() as conn:
        await _chain(event, conn)
    return event


async def chain_head(organization_id: uuid.UUID) -> tuple[int, str | None]:
    head = await AuditChainHead.get_or_none(organization_id=organization_id)
    return (head.sequence, head.hash) if head is not None else (0, None)


async def count_unchained(organization_id: uuid.UUID) -> int:
    return await AuditEvent.filter(organization_id=organization_id, sequence__isnull=True).count()


async def first_unchained_since(
    organization_id: uuid.UUID, since: dt.datetime
) -> AuditEvent | None:
    """An entry without a hash written after the chain began: one slipped in beside it."""
    return (
        await AuditEvent.filter(
            organization_id=organization_id, sequence__isnull=True, created_at__gte=since
        )
        .order_by("created_at")
        .first()
    )


async def chained_in_order(organization_id: uuid.UUID) -> AsyncIterator[AuditEvent]:
    """The organization's chained entries by sequence, read in batches (bounded memory)."""
    after = 0
    while True:
        batch = (
            await AuditEvent.filter(organization_id=organization_id, sequence__gt=after)
            .order_by("sequence")
            .limit(VERIFY_BATCH)
        )
        for event in batch:
            yield event
        if len(batch) < VERIFY_BATCH:
            return
        after = int(batch[-1].sequence or 0)


async def organization_exists(organization_id: uuid.UUID) -> bool:
    return await Organization.exists(id=organization_id)


async def newest_first(
    organization_id: uuid.UUID,
    limit: int,
    *,
    subject_id: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
) -> list[AuditEvent]:
    """Events of the organization (of one subject), with ids below `before`, newest first."""
    query = AuditEvent.filter(organization_id=organization_id)
    if subject_id is not None:
        query = query.filter(subject_id=subject_id)
    return await keyset.newest_first(query, limit, before)


async def count(organization_id: uuid.UUID, *, subject_id: uuid.UUID | None = None) -> int:
    query = AuditEvent.filter(organization_id=organization_id)
    if subject_id is not None:
        query = query.filter(subject_id=subject_id)
    return await query.count()
