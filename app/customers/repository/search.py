"""Turning a free-text search and a `where` filter into indexed conditions.

The term is classified first so each query touches one or two indexes, not an OR over every
column: an email goes to the email index, a phone (any format) to the phone index, a UUID to
the primary key, anything else to the name-prefix indexes. External references are exact and
may look like anything, so every branch also tries them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from app.core.identifiers import (
    InvalidIdentifier,
    looks_like_email,
    looks_like_phone,
    name_key,
    normalize_email,
    normalize_phone,
)
from app.core.ids import try_parse_id
from app.customers.repository import visibility
from app.customers.repository.stats import TierBand
from app.models.customer import (
    ChurnRisk,
    Customer,
    CustomerStatus,
    LifecycleStage,
    RfmSegment,
    SmsState,
)
from app.models.order import Order
from app.models.persona import PersonaAssignment, PersonaSet

MAX_SEARCH_LENGTH = 200
# AIQ's lookup of the customer a merge kept: `merge:+12025550143`, `merge:ada@example.com`.
MERGE_PREFIX = "merge:"


@dataclass(frozen=True)
class CustomerFilter:
    loyalty_enrolled: bool | None = None
    email_opt_in: bool | None = None
    sms_state: SmsState | None = None
    signup_form_id: uuid.UUID | None = None
    favorite_store_id: uuid.UUID | None = None
    country: str | None = None
    city: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    has_email: bool | None = None
    has_phone: bool | None = None
    # Any of these; None or empty: no condition.
    lifecycle_stages: list[LifecycleStage] | None = None
    rfm_segments: list[RfmSegment] | None = None
    churn_risks: list[ChurnRisk] | None = None
    # Customers of this persona (identity) in the current persona set.
    persona_id: uuid.UUID | None = None
    # Any of these tiers (by name); a tier is a band of lifetime points of the program.
    tiers: list[str] | None = None


def tier_condition(names: Sequence[str], bands: Sequence[TierBand]) -> Q:
    """Lifetime points within the band of any named tier; an unknown name matches nobody."""
    condition = Q(id__in=[])
    for band in bands:
        if band.name in names:
            inside = Q(lifetime_points__gte=band.low)
            if band.high is not None:
                inside &= Q(lifetime_points__lt=band.high)
            condition |= inside
    return condition


def apply_filter(
    query: QuerySet[Customer], where: CustomerFilter, tier_bands: Sequence[TierBand] = ()
) -> QuerySet[Customer]:
    """`tier_bands`: the program's tiers, needed only when the filter names tiers."""
    if where.tiers:
        query = query.filter(tier_condition(where.tiers, tier_bands))
    conditions: dict[str, object] = {}
    if where.loyalty_enrolled is not None:
        conditions["loyalty_enrolled"] = where.loyalty_enrolled
    if where.email_opt_in is not None:
        conditions["email_opt_in"] = where.email_opt_in
    if where.sms_state is not None:
        conditions["sms_state"] = where.sms_state
    if where.signup_form_id is not None:
        conditions["signup_form_id"] = where.signup_form_id
    if where.favorite_store_id is not None:
        conditions["favorite_store_id"] = where.favorite_store_id
    if where.country is not None:
        conditions["country"] = where.country.strip().upper()
    if where.city is not None:
        conditions["city__iexact"] = where.city.strip()
    if where.created_after is not None:
        conditions["created_at__gte"] = where.created_after
    if where.created_before is not None:
        conditions["created_at__lt"] = where.created_before
    if where.has_email is not None:
        conditions["email__isnull"] = not where.has_email
    if where.has_phone is not None:
        conditions["phone__isnull"] = not where.has_phone
    if where.lifecycle_stages:
        conditions["lifecycle_stage__in"] = list(where.lifecycle_stages)
    if where.rfm_segments:
        conditions["rfm_segment__in"] = list(where.rfm_segments)
    if where.churn_risks:
        conditions["churn_risk__in"] = list(where.churn_risks)
    if where.persona_id is not None:
        conditions["id__in"] = persona_members(where.persona_id)
    return query.filter(**conditions) if conditions else query


def persona_members(persona_id: uuid.UUID) -> Subquery:
    """Customer ids of a persona in the current set. The set is a scalar subquery found through
    the persona (an identity belongs to one organization, and the outer query is scoped to it),
    so the planner reads the (set, persona, customer) index in customer order."""
    current = (
        PersonaSet.filter(is_current=True, personas__identity_id=persona_id).limit(1).values("id")
    )
    return Subquery(
        PersonaAssignment.filter(
            persona_set_id=Subquery(current), persona_identity_id=persona_id
        ).values("customer_id")
    )


def identifier_condition(text: str, default_region: str) -> Q | None:
    """The condition of a term that is an identifier (email, id, phone); None for a name.
    External references are exact and may look like anything, so every branch tries them."""
    by_reference = Q(external_reference=text)
    if looks_like_email(text):
        try:
            return Q(email=normalize_email(text)) | by_reference
        except InvalidIdentifier:
            return by_reference
    parsed_id = try_parse_id(text)
    if parsed_id is not None:
        return Q(id=parsed_id) | by_reference
    if looks_like_phone(text):
        try:
            return Q(phone=normalize_phone(text, default_region)) | by_reference
        except InvalidIdentifier:
            return by_reference
    return None


def search_condition(term: str, default_region: str) -> Q:
    text = term.strip()[:MAX_SEARCH_LENGTH]
    by_identifier = identifier_condition(text, default_region)
    if by_identifier is not None:
        return by_identifier
    by_reference = Q(external_reference=text)
    tokens = name_key(text).split(" ")
    if len(tokens) == 1:
        prefix = tokens[0]
        return (
            Q(first_name_key__startswith=prefix)
            | Q(last_name_key__startswith=prefix)
            | (by_reference)
        )
    first, last = tokens[0], " ".join(tokens[1:])
    return (
        Q(first_name_key__startswith=first, last_name_key__startswith=last)
        | Q(first_name_key=" ".join(tokens[:-1]), last_name_key__startswith=tokens[-1])
        | by_reference
    )


async def merged_holder(
    term: str, default_region: str, organization_id: uuid.UUID
) -> uuid.UUID | None:
    """The current survivor of a merged customer the term names: by its old id, or by an
    identifier that became an alias. None when the term names no merged customer."""
    text = term.strip()[:MAX_SEARCH_LENGTH]
    parsed_id = try_parse_id(text)
    if parsed_id is not None:
        row = await visibility.rows_of(organization_id).get_or_none(id=parsed_id)
        if row is not None and row.status is CustomerStatus.MERGED:
            survivor = await visibility.survivor_in(organization_id, row)
            return survivor.id if survivor is not None else None
    keys: list[tuple[str, str]] = [("external_reference", text)]
    try:
        if looks_like_email(text):
            keys.insert(0, ("email", normalize_email(text)))
        elif looks_like_phone(text):
            keys.insert(0, ("phone", normalize_phone(text, default_region)))
    except InvalidIdentifier:
        pass
    for column, value in keys:
        found = await visibility.by_alias(organization_id, column, value)
        if found is not None:
            return found.id
    return None


async def receipt_holder(term: str, organization_id: uuid.UUID) -> uuid.UUID | None:
    """The customer of the order with this receipt number, if any.

    Resolved first, by the unique (organization, receipt) index, so the search itself stays a
    union of index lookups instead of a subquery the planner would scan for.
    """
    text = term.strip()
    if not text or len(text) > 64:
        return None
    found = await Order.filter(organization_id=organization_id, receipt_number=text).values_list(
        "customer_id", flat=True
    )
    return found[0] if found and found[0] is not None else None  # type: ignore[return-value]


async def apply_search(
    query: QuerySet[Customer], term: str, default_region: str, organization_id: uuid.UUID
) -> QuerySet[Customer]:
    """`merge:<phone|email|reference|id>` finds only the current survivor of that identifier
    (the customer holding it, or the one a merge folded it into); any other term searches."""
    text = term.strip()
    if not text:
        return query
    if text[: len(MERGE_PREFIX)].lower() == MERGE_PREFIX:
        rest = text[len(MERGE_PREFIX) :].strip()
        live = identifier_condition(rest[:MAX_SEARCH_LENGTH], default_region) if rest else None
        survivor = await merged_holder(rest, default_region, organization_id) if rest else None
        if live is None and survivor is None:
            return query.filter(id__in=[])
        condition = live if live is not None else Q(id=survivor)
        if live is not None and survivor is not None:
            condition |= Q(id=survivor)
        return query.filter(condition)
    condition = search_condition(term, default_region)
    holder = await receipt_holder(term, organization_id)
    if holder is not None:
        condition |= Q(id=holder)
    survivor = await merged_holder(term, default_region, organization_id)
    if survivor is not None:
        condition |= Q(id=survivor)
    return query.filter(condition)
