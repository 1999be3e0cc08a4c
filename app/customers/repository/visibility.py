"""The one place that decides which customers a caller can see.

GraphQL queries, the POS wallet, search and import matching all start from these querysets,
so a status rule changes here and nowhere else:
- ACTIVE customers are always visible; ARCHIVED ones only when asked for (direct lookups ask);
- a MERGED customer is never listed, and a direct lookup lands on its survivor;
- ERASED customers never appear anywhere.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tortoise import connections
from tortoise.queryset import QuerySet

from app.auth.principal import Principal
from app.core.errors import CustomerUnavailable
from app.models.customer import Customer, CustomerStatus

LIVE_STATUSES = (CustomerStatus.ACTIVE, CustomerStatus.ARCHIVED)
# A chain of merges longer than this is a data error, not something to follow forever.
MAX_MERGE_HOPS = 8


def visible_statuses(include_archived: bool) -> tuple[CustomerStatus, ...]:
    return LIVE_STATUSES if include_archived else (CustomerStatus.ACTIVE,)


def rows_of(organization_id: uuid.UUID) -> QuerySet[Customer]:
    """Every customer row of one organization, whatever its status."""
    return Customer.filter(organization_id=organization_id)


def scoped(principal: Principal) -> QuerySet[Customer]:
    """Every customer row of the caller's organization, whatever its status."""
    return rows_of(principal.organization_id)


def visible(principal: Principal, include_archived: bool = False) -> QuerySet[Customer]:
    return scoped(principal).filter(status__in=visible_statuses(include_archived))


async def follow_merges(principal: Principal, customer: Customer | None) -> Customer | None:
    hops = 0
    while customer is not None and customer.status is CustomerStatus.MERGED:
        if customer.merged_into_id is None or hops >= MAX_MERGE_HOPS:
            return None
        customer = await scoped(principal).get_or_none(id=customer.merged_into_id)
        hops += 1
    if customer is None or customer.status not in LIVE_STATUSES:
        return None
    return customer


async def by_id(principal: Principal, customer_id: uuid.UUID) -> Customer | None:
    return await follow_merges(principal, await scoped(principal).get_or_none(id=customer_id))


async def by_id_or_unavailable(principal: Principal, customer_id: uuid.UUID) -> Customer | None:
    """Like `by_id`, but an erased customer is a typed refusal instead of "not found"."""
    row = await scoped(principal).get_or_none(id=customer_id)
    if row is not None and row.status is CustomerStatus.ERASED:
        raise CustomerUnavailable()
    return await follow_merges(principal, row)


@dataclass(frozen=True)
class WalletRow:
    """The columns of a customer row the POS wallet needs, and nothing else."""

    id: uuid.UUID
    points_balance: int
    lifetime_points: int


IdentifierColumn = Literal["email", "phone", "external_reference"]


@lru_cache(maxsize=16)
def _wallet_row_sql(dialect: str, column: IdentifierColumn) -> str:
    # Built once per dialect and column: on the POS hot path, composing the query through the
    # ORM costs more than running it. The status rule is LIVE_STATUSES, as everywhere else.
    marks = (
        [f"${n}" for n in range(1, 3 + len(LIVE_STATUSES))]
        if dialect == "postgres"
        else ["?"] * (2 + len(LIVE_STATUSES))
    )
    statuses = ", ".join(marks[2:])
    # Only placeholders and a column name from a fixed Literal are interpolated.
    return (
        "SELECT id, points_balance, lifetime_points FROM customer "  # noqa: S608
        f"WHERE organization_id = {marks[0]} AND {column} = {marks[1]} "
        f"AND status IN ({statuses}) LIMIT 1"
    )


async def wallet_row_by_identifier(
    principal: Principal, column: IdentifierColumn, value: str
) -> WalletRow | None:
    """The POS lookup: one statement on the (organization, identifier) unique index."""
    client = connections.get("default")
    sql = _wallet_row_sql(client.capabilities.dialect, column)
    params = [str(principal.organization_id), value, *(s.value for s in LIVE_STATUSES)]
    _, rows = await client.execute_query(sql, params)
    if not rows:
        return None
    row = rows[0]
    return WalletRow(
        uuid.UUID(str(row["id"])), int(row["points_balance"]), int(row["lifetime_points"])
    )


async def by_identifier(
    principal: Principal,
    *,
    email: str | None = None,
    phone: str | None = None,
    external_reference: str | None = None,
) -> Customer | None:
    """Exact lookup by one normalized identifier; identifiers belong to live customers only."""
    query = visible(principal, include_archived=True)
    if email is not None:
        return await query.get_or_none(email=email)
    if phone is not None:
        return await query.get_or_none(phone=phone)
    if external_reference is not None:
        return await query.get_or_none(external_reference=external_reference)
    return None
