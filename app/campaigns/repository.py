"""Campaign queries: the campaign rows, the audience in id order, and the set-based credit.

The credit of a batch is the only raw SQL: one INSERT ... SELECT of the batch's ledger
entries (ON CONFLICT DO NOTHING on the (organization, idempotency_key) unique index, so a
customer already credited by an earlier try is skipped) and one UPDATE of the same customers'
cached balances, in the caller's transaction. On PostgreSQL both are a single statement that
locks the customer rows first (in id order, so two campaigns never deadlock); on SQLite, whose
single writer already serializes, they are two statements per chunk of rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from app.core.ids import new_id
from app.core.keyset import newest_first
from app.customers.repository.visibility import LIVE_STATUSES
from app.models.audit import ActorKind
from app.models.campaign import Campaign, CampaignStatus
from app.models.customer import Customer
from app.models.earning_rule import EarningRule
from app.models.wallet import LedgerKind

# SQLite takes at most 32,766 parameters per statement: 14 per entry, in chunks of this many.
SQLITE_CHUNK = 1000


async def create(conn: BaseDBAsyncClient, **values: Any) -> Campaign:
    return await Campaign.create(using_db=conn, **values)


async def get(organization_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
    return await Campaign.get_or_none(id=campaign_id, organization_id=organization_id)


async def lock(
    organization_id: uuid.UUID, campaign_id: uuid.UUID, conn: BaseDBAsyncClient
) -> Campaign | None:
    """The campaign row, locked until the transaction ends (cancel and start serialize here)."""
    return (
        await Campaign.filter(id=campaign_id, organization_id=organization_id)
        .select_for_update()
        .using_db(conn)
        .first()
    )


async def save(campaign: Campaign, fields: list[str], conn: BaseDBAsyncClient) -> None:
    await campaign.save(update_fields=[*fields, "updated_at"], using_db=conn)


async def by_ids(organization_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Campaign]:
    return await Campaign.filter(organization_id=organization_id, id__in=list(ids))


async def by_roadmap_item(organization_id: uuid.UUID, item_id: uuid.UUID) -> Campaign | None:
    return await Campaign.get_or_none(
        organization_id=organization_id, source_roadmap_item_id=item_id
    )


async def by_roadmap_items(
    organization_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> list[Campaign]:
    return await Campaign.filter(
        organization_id=organization_id, source_roadmap_item_id__in=list(item_ids)
    )


# Earning rules applied from roadmap items: the link is written here, with the campaign side
# of `roadmap_apply.py`, so both kinds of application are found in one place.


async def rule_by_roadmap_item(
    organization_id: uuid.UUID, item_id: uuid.UUID
) -> EarningRule | None:
    return await EarningRule.get_or_none(
        organization_id=organization_id, source_roadmap_item_id=item_id
    )


async def rules_by_roadmap_items(
    organization_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> list[EarningRule]:
    return await EarningRule.filter(
        organization_id=organization_id, source_roadmap_item_id__in=list(item_ids)
    )


async def link_rule(rule_id: uuid.UUID, item_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    await EarningRule.filter(id=rule_id).using_db(conn).update(source_roadmap_item_id=item_id)


async def page(
    organization_id: uuid.UUID, limit: int, after: uuid.UUID | None, status: CampaignStatus | None
) -> tuple[list[Campaign], Any]:
    """Campaigns newest first (of one status, when given) and their counter."""
    query = Campaign.filter(organization_id=organization_id)
    if status is not None:
        query = query.filter(status=status)
    return await newest_first(query, limit, after), query.count


async def due(organization_id: uuid.UUID, now: dt.datetime, limit: int) -> list[Campaign]:
    return (
        await Campaign.filter(
            organization_id=organization_id,
            status=CampaignStatus.SCHEDULED,
            scheduled_at__lte=now,
        )
        .order_by("scheduled_at", "id")
        .limit(limit)
    )


async def silent_runs(
    organization_id: uuid.UUID, silent_since: dt.datetime, limit: int
) -> list[Campaign]:
    """RUNNING campaigns whose worker has not committed a batch since `silent_since`."""
    return (
        await Campaign.filter(
            organization_id=organization_id,
            status=CampaignStatus.RUNNING,
            heartbeat_at__lt=silent_since,
        )
        .order_by("heartbeat_at", "id")
        .limit(limit)
    )


# --- the audience -------------------------------------------------------------------------------


async def count(members: QuerySet[Customer], until: uuid.UUID | None = None) -> int:
    if until is not None:
        members = members.filter(id__lte=until)
    return await members.count()


async def next_members(
    members: QuerySet[Customer], after: uuid.UUID | None, until: uuid.UUID, limit: int
) -> list[uuid.UUID]:
    """The next `limit` audience members in id order after `after`, up to `until`: a range
    read of the primary key (or of the organization's indexes the filter uses)."""
    query = members.filter(id__lte=until)
    if after is not None:
        query = query.filter(id__gt=after)
    ids = await query.order_by("id").limit(limit).values_list("id", flat=True)
    return [uuid.UUID(str(i)) for i in ids]


# --- the credit ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credit:
    """What every entry of a campaign's batch holds besides its customer."""

    organization_id: uuid.UUID
    campaign_id: uuid.UUID
    points: int
    reason: str
    actor_kind: ActorKind
    actor_id: uuid.UUID | None
    expires_at: dt.datetime | None
    # Whether the points count toward lifetime points (and so tiers), as the ledger's kind says.
    lifetime: bool
    now: dt.datetime

    @property
    def key_prefix(self) -> str:
        return f"campaign:{self.campaign_id}:"


KIND = LedgerKind.EARN
_LIVE = [status.value for status in LIVE_STATUSES]

_POSTGRES_CREDIT = """
WITH target AS (
    SELECT c.id, c.points_balance FROM customer c
    WHERE c.id = ANY($1::uuid[]) AND c.organization_id = $3
      AND c.status = ANY($13::text[]) AND NOT c.blocked
    ORDER BY c.id
    FOR UPDATE
), numbered AS (
    SELECT t.id, t.points_balance, row_number() OVER (ORDER BY t.id) AS n FROM target t
), inserted AS (
    INSERT INTO ledger_entry (id, organization_id, customer_id, kind, points, reason, actor_kind,
        actor_id, campaign_id, idempotency_key, expires_at, remaining, balance_after, created_at)
    SELECT e.id, $3, m.id, $4, $5, $6, $7, $8, $9, $10 || m.id::text, $11, $5,
        m.points_balance + $5, $12
    FROM numbered m JOIN unnest($2::uuid[]) WITH ORDINALITY AS e(id, n) ON e.n = m.n
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING customer_id
), credited AS (
    UPDATE customer c
    SET points_balance = c.points_balance + $5, lifetime_points = c.lifetime_points + $14
    FROM inserted i WHERE c.id = i.customer_id
    RETURNING c.id
)
SELECT count(*) AS credited FROM credited
"""


_ENTRY_COLUMNS = (
    "id, organization_id, customer_id, kind, points, reason, actor_kind, actor_id, campaign_id,"
    " idempotency_key, expires_at, remaining, balance_after, created_at"
)
_SQLITE_BALANCES = (
    "SELECT id, points_balance FROM customer WHERE id IN ({marks}) AND organization_id = ?"
    " AND status IN ({live}) AND blocked = 0 ORDER BY id"
)
_SQLITE_INSERT = (
    "INSERT INTO ledger_entry (" + _ENTRY_COLUMNS + ") VALUES {rows}"  # noqa: S608 - constants
    " ON CONFLICT (organization_id, idempotency_key) DO NOTHING RETURNING customer_id"
)
_SQLITE_WALLETS = (
    "UPDATE customer SET points_balance = points_balance + ?,"
    " lifetime_points = lifetime_points + ? WHERE id IN ({marks})"
)


async def credit(customer_ids: Sequence[uuid.UUID], credit: Credit, conn: BaseDBAsyncClient) -> int:
    """Credit these customers once each (those still live); how many were credited now."""
    if not customer_ids:
        return 0
    if conn.capabilities.dialect == "postgres":
        return await _credit_postgres(customer_ids, credit, conn)
    credited = 0
    for start in range(0, len(customer_ids), SQLITE_CHUNK):
        credited += await _credit_sqlite(customer_ids[start : start + SQLITE_CHUNK], credit, conn)
    return credited


async def _credit_postgres(
    customer_ids: Sequence[uuid.UUID], credit: Credit, conn: BaseDBAsyncClient
) -> int:
    # Ledger ids are made here, in the order of the customers, so they sort by creation
    # among each customer's other entries (keyset pages of the wallet's activity rely on it).
    entry_ids = [new_id() for _ in customer_ids]
    rows = await conn.execute_query_dict(
        _POSTGRES_CREDIT,
        [
            list(customer_ids),
            entry_ids,
            credit.organization_id,
            KIND.value,
            credit.points,
            credit.reason,
            credit.actor_kind.value,
            credit.actor_id,
            credit.campaign_id,
            credit.key_prefix,
            credit.expires_at,
            credit.now,
            _LIVE,
            credit.points if credit.lifetime else 0,
        ],
    )
    return int(rows[0]["credited"])


async def _credit_sqlite(
    customer_ids: Sequence[uuid.UUID], credit: Credit, conn: BaseDBAsyncClient
) -> int:
    marks = ", ".join("?" for _ in customer_ids)
    live = ", ".join("?" for _ in _LIVE)
    # Only placeholders are interpolated into these statements, never a value.
    select = _SQLITE_BALANCES.format(marks=marks, live=live)
    balances = await conn.execute_query_dict(
        select, [*(str(i) for i in customer_ids), str(credit.organization_id), *_LIVE]
    )
    if not balances:
        return 0
    values: list[Any] = []
    for row in balances:
        values += [
            str(new_id()),
            str(credit.organization_id),
            row["id"],
            KIND.value,
            credit.points,
            credit.reason,
            credit.actor_kind.value,
            str(credit.actor_id) if credit.actor_id else None,
            str(credit.campaign_id),
            credit.key_prefix + str(row["id"]),
            credit.expires_at,
            credit.points,
            int(row["points_balance"]) + credit.points,
            credit.now,
        ]
    one = "(" + ", ".join("?" for _ in _ENTRY_COLUMNS.split(", ")) + ")"
    rows = ", ".join(one for _ in balances)
    inserted = await conn.execute_query_dict(_SQLITE_INSERT.format(rows=rows), values)
    if not inserted:
        return 0
    credited = [row["customer_id"] for row in inserted]
    update = _SQLITE_WALLETS.format(marks=", ".join("?" for _ in credited))
    await conn.execute_query(
        update, [credit.points, credit.points if credit.lifetime else 0, *credited]
    )
    return len(credited)
