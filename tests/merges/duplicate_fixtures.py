"""Customers written directly for duplicate-suggestion tests, and the recompute the job runs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.auth.principal import Principal
from app.core.identifiers import name_key, normalize_email, normalize_phone
from app.merges.suggestion_service import RecomputeCounts, recompute_suggestions
from app.models.customer import Customer, CustomerStatus
from app.models.duplicates import DuplicateSuggestion


async def add_person(
    organization_id: uuid.UUID,
    first: str,
    last: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    birthday: dt.date | None = None,
    postal_code: str | None = None,
    status: CustomerStatus = CustomerStatus.ACTIVE,
    **extra: Any,
) -> uuid.UUID:
    """One customer, with identifiers normalized as the API stores them."""
    customer = await Customer.create(
        organization_id=organization_id,
        status=status,
        first_name=first,
        last_name=last,
        first_name_key=name_key(first),
        last_name_key=name_key(last),
        email=normalize_email(email) if email else None,
        phone=normalize_phone(phone, "US") if phone else None,
        birthday=birthday,
        birthday_monthday=birthday.month * 100 + birthday.day if birthday else None,
        postal_code=postal_code,
        **extra,
    )
    return uuid.UUID(str(customer.id))


async def recompute(organization_id: uuid.UUID) -> RecomputeCounts:
    return await recompute_suggestions(Principal.system(organization_id))


async def suggested_groups(organization_id: uuid.UUID) -> set[frozenset[uuid.UUID]]:
    """The stored suggestions of the organization, as sets of customer ids."""
    rows = await DuplicateSuggestion.filter(organization_id=organization_id)
    return {frozenset(uuid.UUID(c) for c in row.customer_ids) for row in rows}


def pairs_of(groups: set[frozenset[uuid.UUID]]) -> set[frozenset[uuid.UUID]]:
    return {frozenset((a, b)) for group in groups for a in group for b in group if a < b}
