"""Customer rules: create, update, find-or-create, archive, and the lists staff read.

Every function takes the authenticated principal and scopes by its organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal, PrincipalKind
from app.consent.double_opt_in import request_confirmation
from app.core.clock import utcnow
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.keyset import sorted_page
from app.core.pagination import Page, PageRequest
from app.core.sorting import SortedPageRequest
from app.core.transactions import atomic
from app.core.unset import UNSET
from app.customers import repository
from app.customers.consent_rules import consent_transition
from app.customers.errors import CustomerErrorCode as Code
from app.customers.favorite_store import may_replace
from app.customers.fields import CustomerInput, Normalized, normalize
from app.customers.finder import find_customer, organization_region
from app.customers.repository import stats, visibility
from app.customers.repository.search import CustomerFilter, apply_filter, apply_search
from app.models.audit import AuditAction
from app.models.consent import ConsentChannel, ConsentSource
from app.models.customer import Customer, CustomerStatus, SmsState
from app.organizations import repository as organizations
from app.organizations.profile import load_program
from app.rules import triggers as rule_triggers

MAX_ARCHIVE_REASON = 500
_ARCHIVE_FIELDS = ("status", "archived_at", "archive_reason", "updated_at")

_UNIQUE_FIELDS: tuple[tuple[str, str, Code], ...] = (
    ("email", "email", Code.DUPLICATE_EMAIL),
    ("phone", "phone", Code.DUPLICATE_PHONE),
    ("external_reference", "externalReference", Code.DUPLICATE_EXTERNAL_REFERENCE),
)


class TraitsMode(StrEnum):
    MERGE = "MERGE"
    REPLACE = "REPLACE"


@dataclass(frozen=True)
class FindOrCreateResult:
    customer: Customer
    created: bool


def _consent_source(principal: Principal) -> ConsentSource:
    return ConsentSource.STAFF if principal.kind is PrincipalKind.STAFF else ConsentSource.API


async def _normalized(principal: Principal, data: CustomerInput) -> Normalized:
    out = normalize(data, await organization_region(principal), utcnow().date())
    org_id = principal.organization_id
    form_id = out.values.get("signup_form_id")
    if form_id is not None and not await organizations.signup_form_exists(org_id, form_id=form_id):
        out.error(Code.SIGNUP_FORM_NOT_FOUND, "No such signup form.", "signupFormId")
    choice = data.favorite_store
    if (
        choice is not UNSET
        and choice is not None
        and not await organizations.store_exists(org_id, store_id=choice.store_id)
    ):
        out.error(Code.STORE_NOT_FOUND, "No such store.", "favoriteStore")
    return out


async def _check_unique(
    principal: Principal, values: dict[str, Any], exclude_id: uuid.UUID | None
) -> list[FieldError]:
    errors: list[FieldError] = []
    for column, field_name, code in _UNIQUE_FIELDS:
        value = values.get(column)
        if value is None:
            continue
        if await repository.identifier_taken(principal.organization_id, column, value, exclude_id):
            errors.append(
                FieldError(code, f"Another customer already has this {field_name}.", field_name)
            )
    return errors


def _apply_favorite_store(customer: Customer, data: CustomerInput) -> None:
    choice = data.favorite_store
    if choice is UNSET:
        return
    if choice is None:
        customer.favorite_store_id = None
        customer.favorite_store_source = None
        return
    if not may_replace(customer.favorite_store_source, choice.source):
        raise DomainError(
            Code.LOWER_PRECEDENCE_SOURCE,
            "The current favorite store comes from a source of higher precedence.",
            "favoriteStore",
        )
    customer.favorite_store_id = choice.store_id
    customer.favorite_store_source = choice.source


def _apply_consent(
    principal: Principal, customer: Customer, data: CustomerInput
) -> list[tuple[ConsentChannel, str]]:
    """Set consent columns; returns the changes to record as evidence."""
    outcome = consent_transition(
        email=customer.email,
        phone=customer.phone,
        email_opt_in=customer.email_opt_in,
        sms_state=customer.sms_state,
        want_email=data.email_opt_in,
        want_sms=data.sms_opt_in,
    )
    customer.email_opt_in = outcome.email_opt_in
    customer.sms_state = outcome.sms_state
    return list(outcome.changes)


async def _record_consent(
    principal: Principal,
    customer: Customer,
    changes: list[tuple[ConsentChannel, str]],
    conn: BaseDBAsyncClient,
) -> None:
    await repository.record_consent(
        principal.organization_id, customer.id, changes, _consent_source(principal), conn
    )


async def _check_not_blocked(
    principal: Principal, values: dict[str, Any], current: Customer | None
) -> list[FieldError]:
    """An email or phone on the privacy blocklist cannot be given to a customer. The error
    says only that: not whether it was erased, opted out, or held by anyone."""
    errors: list[FieldError] = []
    for column in ("email", "phone"):
        value = values.get(column)
        if value is None or (current is not None and getattr(current, column) == value):
            continue
        if await visibility.identifier_blocked(principal.organization_id, column, value):
            errors.append(
                FieldError(Code.IDENTIFIER_UNAVAILABLE, f"This {column} cannot be used.", column)
            )
    return errors


AfterSave = Callable[[Customer, BaseDBAsyncClient], Awaitable[None]]


_CONSENT_COLUMNS = {
    ConsentChannel.EMAIL: "email_opt_in",
    ConsentChannel.SMS: "sms_state",
    ConsentChannel.PUSH: "push_opt_in",
}


def _written_fields(
    values: dict[str, Any], data: CustomerInput, changes: list[tuple[ConsentChannel, str]]
) -> list[str]:
    """The columns an update writes: only what this request changed. The row was read
    before the transaction, so writing it whole would put back a wallet balance, order
    statistics, scores or an SMS state (a STOP) that another transaction moved since."""
    written = set(values)
    if data.favorite_store is not UNSET:
        written |= {"favorite_store_id", "favorite_store_source"}
    written |= {_CONSENT_COLUMNS[channel] for channel, _ in changes}
    written.add("updated_at")
    return sorted(written)


async def _save(
    principal: Principal,
    customer: Customer,
    values: dict[str, Any],
    data: CustomerInput,
    *,
    creating: bool,
    after_save: AfterSave | None = None,
) -> Customer:
    errors = await _check_not_blocked(principal, values, None if creating else customer)
    if errors:
        raise ValidationFailed(errors)
    errors = await _check_unique(principal, values, None if creating else customer.id)
    if errors:
        raise ValidationFailed(errors)
    for key, value in values.items():
        setattr(customer, key, value)
    _apply_favorite_store(customer, data)
    changes = _apply_consent(principal, customer, data)
    written = None if creating else _written_fields(values, data, changes)
    try:
        async with atomic() as conn:
            await repository.save(customer, conn, creating=creating, fields=written)
            await _record_consent(principal, customer, changes, conn)
            if (ConsentChannel.SMS, SmsState.PENDING.value) in changes:
                await request_confirmation(principal, customer.id)
            if after_save is not None:
                await after_save(customer, conn)
    except IntegrityError:
        # Lost a race with a concurrent write of the same identifier: say which one.
        errors = await _check_unique(principal, values, None if creating else customer.id)
        if errors:
            raise ValidationFailed(errors) from None
        raise
    return customer


async def create_customer(principal: Principal, data: CustomerInput) -> Customer:
    principal.require(Operation.CUSTOMER_WRITE)
    out = await _normalized(principal, data)
    if out.errors:
        raise ValidationFailed(out.errors)
    if data.traits is UNSET:
        out.values["traits"] = {}
    referrer = await _referrer(principal, data)
    customer = Customer(organization_id=principal.organization_id, referred_by_id=None)
    if referrer is not None:
        out.values["referred_by_id"] = referrer.id
    referrer_id = referrer.id if referrer is not None else None

    async def after_save(created: Customer, conn: BaseDBAsyncClient) -> None:
        # Welcome, profile and referral bonuses commit with the new customer or not at all.
        await rule_triggers.on_customer_created(principal, created, referrer_id, conn)

    return await _save(principal, customer, out.values, data, creating=True, after_save=after_save)


async def _referrer(principal: Principal, data: CustomerInput) -> Customer | None:
    if data.referred_by_id is UNSET or data.referred_by_id is None:
        return None
    referrer = await visibility.by_id(principal, data.referred_by_id)
    if referrer is None:
        raise DomainError(Code.REFERRER_NOT_FOUND, "No such referring customer.", "referredBy")
    return referrer


async def _editable(principal: Principal, customer_id: uuid.UUID) -> Customer:
    customer = await visibility.visible(principal, include_archived=True).get_or_none(
        id=customer_id
    )
    if customer is None:
        raise DomainError(Code.NOT_FOUND, "No such customer.", "id")
    return customer


async def update_customer(
    principal: Principal,
    customer_id: uuid.UUID,
    data: CustomerInput,
    traits_mode: TraitsMode = TraitsMode.MERGE,
) -> Customer:
    principal.require(Operation.CUSTOMER_WRITE)
    customer = await _editable(principal, customer_id)
    out = await _normalized(principal, data)
    if out.errors:
        raise ValidationFailed(out.errors)
    if "traits" in out.values and traits_mode is TraitsMode.MERGE:
        merged = dict(customer.traits or {})
        for key, value in out.values["traits"].items():
            # In MERGE mode a null removes the trait, as in JSON Merge Patch (RFC 7396).
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        out.values["traits"] = merged
    was_enrolled = customer.loyalty_enrolled

    async def after_save(saved: Customer, conn: BaseDBAsyncClient) -> None:
        await rule_triggers.on_customer_updated(principal, saved.id, was_enrolled, conn)

    return await _save(principal, customer, out.values, data, creating=False, after_save=after_save)


async def find_or_create(
    principal: Principal, external_reference: str, data: CustomerInput
) -> FindOrCreateResult:
    """The integration entry point: the merchant's own id finds the customer or makes one."""
    principal.require(Operation.CUSTOMER_WRITE)
    reference = external_reference.strip()
    if not reference:
        raise DomainError(Code.REQUIRED, "External reference is required.", "externalReference")
    existing = await visibility.by_identifier(principal, external_reference=reference)
    if existing is not None:
        return FindOrCreateResult(existing, created=False)
    data.external_reference = reference
    try:
        return FindOrCreateResult(await create_customer(principal, data), created=True)
    except ValidationFailed as exc:
        # A concurrent call created it between our lookup and insert: that one wins.
        if any(e.code is Code.DUPLICATE_EXTERNAL_REFERENCE for e in exc.errors):
            winner = await visibility.by_identifier(principal, external_reference=reference)
            if winner is not None:
                return FindOrCreateResult(winner, created=False)
        raise


async def archive_customer(principal: Principal, customer_id: uuid.UUID, reason: str) -> Customer:
    principal.require(Operation.CUSTOMER_ARCHIVE)
    text = " ".join(reason.split())
    if not text:
        raise DomainError(Code.REQUIRED, "Give a reason for archiving.", "reason")
    if len(text) > MAX_ARCHIVE_REASON:
        raise DomainError(Code.INVALID, "The reason is longer than 500 characters.", "reason")
    customer = await _editable(principal, customer_id)
    if customer.status is CustomerStatus.ARCHIVED:
        raise DomainError(Code.ALREADY_ARCHIVED, "The customer is already archived.", "id")
    async with atomic() as conn:
        customer.status = CustomerStatus.ARCHIVED
        customer.archived_at = utcnow()
        customer.archive_reason = text
        await repository.save_fields(customer, _ARCHIVE_FIELDS, conn)
        await audit.record(
            principal,
            AuditAction.CUSTOMER_ARCHIVED,
            "customer",
            customer.id,
            {"reason": text},
            using_db=conn,
        )
    return customer


async def unarchive_customer(principal: Principal, customer_id: uuid.UUID) -> Customer:
    principal.require(Operation.CUSTOMER_ARCHIVE)
    customer = await _editable(principal, customer_id)
    if customer.status is not CustomerStatus.ARCHIVED:
        raise DomainError(Code.NOT_ARCHIVED, "The customer is not archived.", "id")
    async with atomic() as conn:
        customer.status = CustomerStatus.ACTIVE
        customer.archived_at = None
        customer.archive_reason = None
        await repository.save_fields(customer, _ARCHIVE_FIELDS, conn)
        await audit.record(
            principal, AuditAction.CUSTOMER_UNARCHIVED, "customer", customer.id, using_db=conn
        )
    return customer


async def get_customer(
    principal: Principal,
    *,
    customer_id: uuid.UUID | None = None,
    email: str | None = None,
    phone: str | None = None,
    external_reference: str | None = None,
) -> Customer | None:
    """Direct lookup by exactly one key; identifiers are normalized as on write."""
    principal.require(Operation.CUSTOMER_READ)
    return await find_customer(
        principal,
        customer_id=customer_id,
        email=email,
        phone=phone,
        external_reference=external_reference,
    )


async def list_customers(
    principal: Principal,
    page: SortedPageRequest,
    *,
    search: str | None = None,
    where: CustomerFilter | None = None,
    include_archived: bool = False,
) -> Page[Customer]:
    """A page of the customer list in the order of `page.sort` (see `app/customers/sorting.py`)."""
    principal.require(Operation.CUSTOMER_READ)
    query = await filtered(principal, search=search, where=where, include_archived=include_archived)
    return await sorted_page(query, page)


async def filtered(
    principal: Principal,
    *,
    search: str | None = None,
    where: CustomerFilter | None = None,
    include_archived: bool = False,
) -> QuerySet[Customer]:
    """The customers a list with these filters shows; the stats of a dashboard count the same."""
    query = visibility.visible(principal, include_archived)
    if where is not None:
        bands = (
            stats.tier_bands((await load_program(principal.organization_id)).tiers)
            if where.tiers
            else ()
        )
        query = apply_filter(query, where, bands)
    if search:
        query = await apply_search(
            query, search, await organization_region(principal), principal.organization_id
        )
    return query


@dataclass(frozen=True)
class CustomerStats:
    counts: stats.CustomerCounts
    personas: list[stats.PersonaCount]


async def customer_stats(
    principal: Principal,
    *,
    search: str | None = None,
    where: CustomerFilter | None = None,
    include_archived: bool = False,
) -> CustomerStats:
    """Counts over exactly the customers `list_customers` pages through with these filters."""
    principal.require(Operation.CUSTOMER_STATS)
    query = await filtered(principal, search=search, where=where, include_archived=include_archived)
    program = await load_program(principal.organization_id)
    return CustomerStats(
        counts=await stats.counts(query, stats.tier_bands(program.tiers)),
        personas=await stats.persona_counts(principal.organization_id, query),
    )


async def list_archived(principal: Principal, page: PageRequest) -> Page[Customer]:
    principal.require(Operation.CUSTOMER_READ)
    query = visibility.archived(principal)
    count = query.count
    if page.after is not None:
        query = query.filter(id__gt=page.after)
    rows = await query.order_by("id").limit(page.first + 1)
    return Page.from_overfetch(rows, page, count)


async def referral_counts(principal: Principal, referrer_ids: list[uuid.UUID]) -> list[int]:
    """How many customers each of `referrer_ids` referred (the GraphQL loader's batch)."""
    principal.require(Operation.CUSTOMER_READ)
    counts = await repository.referral_counts(principal.organization_id, referrer_ids)
    return [counts.get(k, 0) for k in referrer_ids]
