"""The one place that decides which customers a caller can see.

GraphQL queries, the POS wallet, search and import matching all start from these querysets,
so a status rule changes here and nowhere else:
- ACTIVE customers are always visible; ARCHIVED ones only when asked for (direct lookups ask);
- a MERGED customer is never listed, and a direct lookup lands on its survivor;
- ERASED customers never appear anywhere.
"""

from __future__ import annotations

import uuid

from tortoise.queryset import QuerySet

from app.auth.principal import Principal
from app.core.errors import CustomerUnavailable
from app.models.customer import Customer, CustomerStatus

LIVE_STATUSES = (CustomerStatus.ACTIVE, CustomerStatus.ARCHIVED)
# A chain of merges longer than this is a data error, not something to follow forever.
MAX_MERGE_HOPS = 8


def visible_statuses(include_archived: bool) -> tuple[CustomerStatus, ...]:
    return LIVE_STATUSES if include_archived else (CustomerStatus.ACTIVE,)


def scoped(principal: Principal) -> QuerySet[Customer]:
    """Every customer row of the caller's organization, whatever its status."""
    return Customer.filter(organization_id=principal.organization_id)


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
