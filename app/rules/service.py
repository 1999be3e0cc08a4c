"""Earning rules: create, edit, activate, pause, archive, and the list staff read.

Every function takes the principal first, checks its permission and scopes by its
organization. Rules start as DRAFT; only ACTIVE rules award (app/rules/evaluation.py).
Window times sent without an offset are read in the organization's time zone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.pagination import Page, PageRequest
from app.core.transactions import atomic
from app.core.unset import UNSET, Unset
from app.customers import audience
from app.customers.repository.search import CustomerFilter
from app.models.earning_rule import EarningRule, EarningRuleKind, EarningRuleStatus
from app.organizations.profile import load_profile
from app.rules import active, conditions, repository
from app.rules.errors import EarningRuleErrorCode as Code

MAX_NAME = 120
MAX_POINTS = conditions.MAX_POINTS
MAX_MULTIPLIER = Decimal(10)
MAX_LIMIT = 1_000_000_000
Status = EarningRuleStatus


@dataclass
class EarningRuleInput:
    """The editable fields. On update, UNSET leaves a field as it is and None clears it."""

    name: str | Unset = UNSET
    points: int | Unset | None = UNSET
    multiplier: Decimal | Unset | None = UNSET
    conditions: dict[str, Any] | Unset | None = UNSET
    audience: CustomerFilter | Unset | None = UNSET
    starts_at: dt.datetime | Unset | None = UNSET
    ends_at: dt.datetime | Unset | None = UNSET
    per_customer_limit: int | Unset | None = UNSET
    points_budget: int | Unset | None = UNSET
    priority: int | Unset = UNSET


def _in_zone(value: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    """A time without an offset is a wall-clock time in the organization's zone."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(dt.UTC)


def _multiplier(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return Decimal(-1)


def _check_amounts(rule: EarningRule, errors: list[FieldError]) -> None:
    if rule.kind is EarningRuleKind.ORDER_MULTIPLIER:
        if rule.points is not None:
            errors.append(
                FieldError(Code.INVALID_POINTS, "A multiplier rule takes a multiplier.", "points")
            )
        m = rule.multiplier
        if m is None or not Decimal(1) < Decimal(m) <= MAX_MULTIPLIER:
            errors.append(
                FieldError(
                    Code.INVALID_MULTIPLIER,
                    f"The multiplier must be more than 1 and at most {MAX_MULTIPLIER}.",
                    "multiplier",
                )
            )
        return
    if rule.multiplier is not None:
        errors.append(
            FieldError(Code.INVALID_MULTIPLIER, "Only a multiplier rule takes one.", "multiplier")
        )
    if rule.points is None or not 0 < rule.points <= MAX_POINTS:
        errors.append(
            FieldError(Code.INVALID_POINTS, f"Points must be from 1 to {MAX_POINTS}.", "points")
        )


def _check_limits(rule: EarningRule, errors: list[FieldError]) -> None:
    for value, name in (
        (rule.per_customer_limit, "perCustomerLimit"),
        (rule.points_budget, "pointsBudget"),
    ):
        if value is not None and not 0 < value <= MAX_LIMIT:
            errors.append(FieldError(Code.INVALID_LIMIT, "A limit must be positive.", name))
    if not -1000 <= rule.priority <= 1000:
        errors.append(FieldError(Code.INVALID, "Priority must be from -1000 to 1000.", "priority"))


async def _validate(principal: Principal, rule: EarningRule) -> None:
    """All that is wrong with the rule as it would be stored, in one refusal."""
    errors: list[FieldError] = []
    name = " ".join(rule.name.split())
    if not name:
        errors.append(FieldError(Code.REQUIRED, "Give the rule a name.", "name"))
    elif len(name) > MAX_NAME:
        errors.append(FieldError(Code.INVALID, f"At most {MAX_NAME} characters.", "name"))
    rule.name = name
    _check_amounts(rule, errors)
    _check_limits(rule, errors)
    try:
        conditions.parse(rule.kind, rule.conditions)
    except conditions.ConditionsInvalid as exc:
        field = "conditions" if exc.key == "conditions" else f"conditions.{exc.key}"
        errors.append(FieldError(Code.INVALID_CONDITIONS, exc.message, field))
    if rule.starts_at is not None and rule.ends_at is not None and rule.ends_at <= rule.starts_at:
        errors.append(FieldError(Code.INVALID_WINDOW, "The end must be after the start.", "endsAt"))
    profile = await load_profile(principal.organization_id)
    where = audience.from_json(rule.audience)
    for key, message in await audience.problems(principal.organization_id, where, profile.program):
        errors.append(FieldError(Code.INVALID_AUDIENCE, message, f"audience.{key}"))
    if errors:
        raise ValidationFailed(errors)


async def _apply(principal: Principal, rule: EarningRule, data: EarningRuleInput) -> None:
    zone = ZoneInfo((await load_profile(principal.organization_id)).timezone)
    for f in fields(data):
        value = getattr(data, f.name)
        if value is UNSET:
            continue
        if f.name == "audience":
            value = audience.to_json(value) if value is not None else {}
        elif f.name == "conditions":
            value = value if value is not None else {}
        elif f.name in ("starts_at", "ends_at"):
            value = _in_zone(value, zone)
        elif f.name == "multiplier":
            value = _multiplier(value)
        setattr(rule, f.name, value)
    rule.updated_by_id = principal.subject_id


async def create_rule(
    principal: Principal, kind: EarningRuleKind, data: EarningRuleInput
) -> EarningRule:
    principal.require(Operation.EARNING_RULE_MANAGE)
    rule = EarningRule(
        organization_id=principal.organization_id,
        kind=kind,
        name="",
        status=Status.DRAFT,
        conditions={},
        audience={},
        priority=0,
        created_by_id=principal.subject_id,
    )
    await _apply(principal, rule, data)
    await _validate(principal, rule)
    await repository.save(rule)
    return rule


async def update_rule(
    principal: Principal, rule_id: uuid.UUID, data: EarningRuleInput
) -> EarningRule:
    """Edit any field but the kind. An archived rule is kept as it was."""
    principal.require(Operation.EARNING_RULE_MANAGE)
    async with atomic() as conn:
        rule = await repository.lock(principal.organization_id, rule_id, conn)
        if rule is None:
            raise DomainError(Code.NOT_FOUND, "No such earning rule.", "id")
        if rule.status is Status.ARCHIVED:
            raise DomainError(Code.INVALID_STATUS, "An archived rule cannot be edited.", "id")
        await _apply(principal, rule, data)
        await _validate(principal, rule)
        await repository.save(rule, conn)
    active.forget(principal.organization_id)
    return rule


_ALLOWED_FROM: dict[EarningRuleStatus, frozenset[EarningRuleStatus]] = {
    Status.ACTIVE: frozenset({Status.DRAFT, Status.PAUSED}),
    Status.PAUSED: frozenset({Status.ACTIVE}),
    Status.ARCHIVED: frozenset({Status.DRAFT, Status.ACTIVE, Status.PAUSED}),
}


async def _switch(
    principal: Principal, rule_id: uuid.UUID, target: EarningRuleStatus
) -> EarningRule:
    principal.require(Operation.EARNING_RULE_MANAGE)
    async with atomic() as conn:
        rule = await repository.lock(principal.organization_id, rule_id, conn)
        if rule is None:
            raise DomainError(Code.NOT_FOUND, "No such earning rule.", "id")
        if rule.status is target:
            return rule
        if rule.status not in _ALLOWED_FROM[target]:
            raise DomainError(
                Code.INVALID_STATUS,
                f"A {rule.status.value.lower()} rule cannot become {target.value.lower()}.",
                "id",
            )
        if target is Status.ACTIVE and rule.ends_at is not None and rule.ends_at <= utcnow():
            raise DomainError(Code.EXPIRED, "The rule's window has ended.", "endsAt")
        rule.status = target
        rule.updated_by_id = principal.subject_id
        await repository.save(rule, conn)
    # Seen at once by this process; other processes within ACTIVE_RULES_SECONDS.
    active.forget(principal.organization_id)
    return rule


async def activate_rule(principal: Principal, rule_id: uuid.UUID) -> EarningRule:
    return await _switch(principal, rule_id, Status.ACTIVE)


async def pause_rule(principal: Principal, rule_id: uuid.UUID) -> EarningRule:
    return await _switch(principal, rule_id, Status.PAUSED)


async def archive_rule(principal: Principal, rule_id: uuid.UUID) -> EarningRule:
    return await _switch(principal, rule_id, Status.ARCHIVED)


async def get_rule(principal: Principal, rule_id: uuid.UUID) -> EarningRule | None:
    principal.require(Operation.EARNING_RULE_READ)
    return await repository.get(principal.organization_id, rule_id)


async def list_rules(
    principal: Principal, page: PageRequest, status: EarningRuleStatus | None = None
) -> Page[EarningRule]:
    """Oldest first (ids are time-ordered)."""
    principal.require(Operation.EARNING_RULE_READ)
    query = repository.listed(principal.organization_id, status)
    count = query.count
    if page.after is not None:
        query = query.filter(id__gt=page.after)
    rows = await query.order_by("id").limit(page.first + 1)
    return Page.from_overfetch(rows, page, count)


async def rules_by_ids(principal: Principal, rule_ids: list[uuid.UUID]) -> list[EarningRule]:
    """The rules named by ledger entries (a GraphQL loader's batch). A wallet's reader (a POS
    key too) sees which rule paid: the ledger entry's type shows its id, name and kind only."""
    principal.require_any(Operation.WALLET_READ, Operation.EARNING_RULE_READ)
    return await repository.by_ids(principal.organization_id, rule_ids)
