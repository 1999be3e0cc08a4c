"""The one place that decides which customers a caller can see.

GraphQL queries, the POS wallet, search and import matching all start from these querysets,
so a status rule changes here and nowhere else:
- ACTIVE customers are always visible; ARCHIVED ones only when asked for (direct lookups ask);
- a MERGED customer is never listed, and a direct lookup lands on its survivor;
- an identifier a merge turned into an alias leads to the alias's customer, and on to the
  current survivor (chains collapse: A into B, B into C, A's identifiers find C);
- ERASED customers never appear anywhere;
- a customer holding an identifier on the privacy blocklist (`blocked`, set when the identifier
  was blocked) never appears anywhere either: direct lookups by id and the POS wallet refuse it
  with CUSTOMER_UNAVAILABLE, and so does a POS lookup by a blocked email or phone that no
  customer holds any more (one probe of the blocklist's unique index, on misses only).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from app.auth.principal import Principal
from app.core import blocklist
from app.core.errors import CustomerUnavailable
from app.models.customer import Customer, CustomerStatus
from app.models.merge import AliasKind, CustomerAlias
from app.models.privacy import BlocklistEntry

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
    return scoped(principal).filter(status__in=visible_statuses(include_archived), blocked=False)


def live_rows_of(organization_id: uuid.UUID) -> QuerySet[Customer]:
    """Customers of an organization that jobs may act on (birthdays, campaigns)."""
    return rows_of(organization_id).filter(status__in=LIVE_STATUSES, blocked=False)


def archived(principal: Principal) -> QuerySet[Customer]:
    return scoped(principal).filter(status=CustomerStatus.ARCHIVED, blocked=False)


async def blocked_digests(
    organization_id: uuid.UUID, digests: list[str], conn: BaseDBAsyncClient | None = None
) -> set[str]:
    """Which of these blocklist digests are on the organization's blocklist."""
    if not digests:
        return set()
    query = BlocklistEntry.filter(organization_id=organization_id, digest__in=digests)
    if conn is not None:
        query = query.using_db(conn)
    return {str(d) for d in await query.values_list("digest", flat=True)}


# Kept here too: the one place that decides visibility answers this question as well.
identifier_blocked = blocklist.identifier_blocked


async def blocked_customer_keys(
    organization_id: uuid.UUID,
    keys: list[tuple[str, str]],
    conn: BaseDBAsyncClient | None = None,
) -> set[tuple[str, str]]:
    """Every (column, value) identifier held by a blocked customer that shares one of `keys`,
    so a bulk path skips a blocked customer whichever of its identifiers a row names."""
    columns = ("email", "phone", "external_reference")
    wanted = {c: [v for k, v in keys if k == c] for c in columns}
    found: set[tuple[str, str]] = set()
    for column in columns:
        if not wanted[column]:
            continue
        query = rows_of(organization_id).filter(blocked=True, **{f"{column}__in": wanted[column]})
        if conn is not None:
            query = query.using_db(conn)
        for row in await query.values(*columns):
            found.update((c, str(row[c])) for c in columns if row[c] is not None)
    return found


IdentifierColumn = Literal["email", "phone", "external_reference"]
ALIAS_KINDS: dict[str, AliasKind] = {
    "email": AliasKind.EMAIL,
    "phone": AliasKind.PHONE,
    "external_reference": AliasKind.EXTERNAL_REFERENCE,
}


async def survivor_in(
    organization_id: uuid.UUID,
    customer: Customer | None,
    conn: BaseDBAsyncClient | None = None,
) -> Customer | None:
    """The live customer a row stands for: itself, or the end of its chain of merges."""
    hops = 0
    while customer is not None and customer.status is CustomerStatus.MERGED:
        if customer.merged_into_id is None or hops >= MAX_MERGE_HOPS:
            return None
        customer = (
            await rows_of(organization_id).using_db(conn).get_or_none(id=customer.merged_into_id)
        )
        hops += 1
    if customer is None or customer.status not in LIVE_STATUSES or customer.blocked:
        return None
    return customer


async def follow_merges(principal: Principal, customer: Customer | None) -> Customer | None:
    return await survivor_in(principal.organization_id, customer)


async def by_id(principal: Principal, customer_id: uuid.UUID) -> Customer | None:
    return await follow_merges(principal, await scoped(principal).get_or_none(id=customer_id))


async def alias_holders(
    organization_id: uuid.UUID,
    column: str,
    values: Sequence[str],
    conn: BaseDBAsyncClient | None = None,
) -> dict[str, Customer]:
    """Live survivors of the identifiers among `values` that are aliases of standing merges
    (value -> survivor). The batch form serves import matching; lookups use `by_alias`."""
    if not values:
        return {}
    aliases = (
        await CustomerAlias.filter(
            organization_id=organization_id, kind=ALIAS_KINDS[column], value__in=list(values)
        )
        .using_db(conn)
        .values_list("value", "customer_id")
    )
    found: dict[str, Customer] = {}
    for value, customer_id in aliases:
        row = await rows_of(organization_id).using_db(conn).get_or_none(id=customer_id)
        survivor = await survivor_in(organization_id, row, conn)
        if survivor is not None:
            found[str(value)] = survivor
    return found


async def by_alias(
    organization_id: uuid.UUID, column: str, value: str, conn: BaseDBAsyncClient | None = None
) -> Customer | None:
    return (await alias_holders(organization_id, column, [value], conn)).get(value)


async def is_alias(organization_id: uuid.UUID, column: str, value: str) -> bool:
    return await CustomerAlias.exists(
        organization_id=organization_id, kind=ALIAS_KINDS[column], value=value
    )


async def by_id_or_unavailable(principal: Principal, customer_id: uuid.UUID) -> Customer | None:
    """Like `by_id`, but an erased or blocked customer is a typed refusal, not "not found"."""
    row = await scoped(principal).get_or_none(id=customer_id)
    if row is not None and (row.status is CustomerStatus.ERASED or row.blocked):
        raise CustomerUnavailable()
    found = await follow_merges(principal, row)
    if found is None and row is not None and row.status is CustomerStatus.MERGED:
        # Its survivor may be blocked: refused the same way as the survivor itself.
        survivor = await scoped(principal).get_or_none(id=row.merged_into_id)
        if survivor is not None and survivor.blocked:
            raise CustomerUnavailable()
    return found


@dataclass(frozen=True)
class WalletRow:
    """The columns of a customer row the POS wallet needs, and nothing else."""

    id: uuid.UUID
    points_balance: int
    lifetime_points: int


@lru_cache(maxsize=16)
def _wallet_row_sql(dialect: str, column: IdentifierColumn) -> str:
    # Built once per dialect and column: on the POS hot path, composing the query through the
    # ORM costs more than running it. The status rule is LIVE_STATUSES, as everywhere else;
    # `blocked` is read rather than filtered so a blocked customer is refused, not "not found".
    marks = (
        [f"${n}" for n in range(1, 3 + len(LIVE_STATUSES))]
        if dialect == "postgres"
        else ["?"] * (2 + len(LIVE_STATUSES))
    )
    statuses = ", ".join(marks[2:])
    # Only placeholders and a column name from a fixed Literal are interpolated.
    return (
        "SELECT id, points_balance, lifetime_points, blocked FROM customer "  # noqa: S608
        f"WHERE organization_id = {marks[0]} AND {column} = {marks[1]} "
        f"AND status IN ({statuses}) LIMIT 1"
    )


async def wallet_row_by_identifier(
    principal: Principal, column: IdentifierColumn, value: str
) -> WalletRow | None:
    """The POS lookup: one statement on the (organization, identifier) unique index; a miss
    probes the blocklist (an erased shopper's identifier is held by no customer)."""
    client = connections.get("default")
    sql = _wallet_row_sql(client.capabilities.dialect, column)
    params = [str(principal.organization_id), value, *(s.value for s in LIVE_STATUSES)]
    _, rows = await client.execute_query(sql, params)
    if not rows:
        # Not live: a merged customer's old identifier reaches the survivor. A miss costs one
        # more indexed query; a hit on a live identifier stays one statement.
        survivor = await by_alias(principal.organization_id, column, value)
        if survivor is not None:
            return WalletRow(survivor.id, survivor.points_balance, survivor.lifetime_points)
        if await identifier_blocked(principal.organization_id, column, value):
            raise CustomerUnavailable()
        return None
    row = rows[0]
    if row["blocked"]:
        raise CustomerUnavailable()
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
    given = [
        (column, value)
        for column, value in (
            ("email", email),
            ("phone", phone),
            ("external_reference", external_reference),
        )
        if value is not None
    ]
    if not given:
        return None
    column, value = given[0]
    live = await query.get_or_none(**{column: value})
    if live is not None:
        return live
    return await by_alias(principal.organization_id, column, value)
