"""One-off campaigns: staff write, preview, schedule and cancel them; a worker credits them.

A campaign credits every customer of its audience (a customer-list filter) once with the same
points. Its life: DRAFT (editable) → SCHEDULED (editable, cancellable; a job waits for its
time) → RUNNING → COMPLETED, or CANCELLED before it runs, or FAILED. The run itself is in
`app/campaigns/runner.py`; applying a persona roadmap item in `roadmap_apply.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.campaigns import repository
from app.campaigns.errors import CampaignErrorCode as Code
from app.campaigns.jobs import run
from app.campaigns.runner import fail as fail
from app.campaigns.runner import run_campaign as run_campaign
from app.campaigns.runner import sweep as sweep
from app.core.clock import utcnow
from app.core.errors import DomainError, FieldError, InvalidArgument, ValidationFailed
from app.core.jobs import request_job
from app.core.pagination import Page, PageRequest
from app.core.transactions import atomic
from app.core.unset import UNSET, Unset
from app.customers import audience
from app.customers.repository.search import CustomerFilter
from app.models.campaign import Campaign, CampaignStatus
from app.organizations.profile import load_program
from app.organizations.program import LoyaltyProgram
from app.wallets.liability import money
from app.wallets.service import MAX_POINTS_PER_ENTRY

MAX_NAME = 120
MAX_REASON = 200
# A scheduled time this little in the past is taken as "now" (clocks and round trips differ).
PAST_GRACE = dt.timedelta(minutes=1)
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    audience: CustomerFilter
    points: int
    reason: str
    scheduled_at: dt.datetime | None = None


@dataclass(frozen=True)
class CampaignChanges:
    name: str | Unset = UNSET
    audience: CustomerFilter | Unset = UNSET
    points: int | Unset = UNSET
    reason: str | Unset = UNSET
    # None clears it: the campaign then runs as soon as it is scheduled.
    scheduled_at: dt.datetime | Unset | None = UNSET


@dataclass(frozen=True)
class CampaignPreview:
    customers: int
    points: int
    point_value: Decimal
    # The money value of `points` at the program's point value: what the liability grows by.
    added_liability: Decimal


def _text(errors: list[FieldError], value: str, name: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text:
        errors.append(FieldError(Code.REQUIRED, f"Give a {name}.", name))
    elif len(text) > limit:
        errors.append(FieldError(Code.INVALID, f"The {name} is longer than {limit}.", name))
    return text


def _points(errors: list[FieldError], points: int) -> None:
    if points <= 0:
        errors.append(
            FieldError(Code.INVALID_POINTS, "Points must be a positive whole number.", "points")
        )
    elif points > MAX_POINTS_PER_ENTRY:
        errors.append(FieldError(Code.INVALID_POINTS, "Too many points per customer.", "points"))


def _moment(errors: list[FieldError], value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if moment < utcnow() - PAST_GRACE:
        errors.append(
            FieldError(Code.SCHEDULED_IN_PAST, "The scheduled time has passed.", "scheduledAt")
        )
    return moment


async def _audience_errors(
    organization_id: uuid.UUID, where: CustomerFilter, program: LoyaltyProgram
) -> list[FieldError]:
    return [
        FieldError(Code.INVALID_AUDIENCE, message, f"audience.{field}")
        for field, message in await audience.problems(organization_id, where, program)
    ]


async def _audience_size(
    organization_id: uuid.UUID, where: CustomerFilter, program: LoyaltyProgram
) -> int:
    return await repository.count(audience.members(organization_id, where, program))


async def _require_members(
    organization_id: uuid.UUID, where: CustomerFilter, program: LoyaltyProgram
) -> None:
    if await _audience_size(organization_id, where, program) == 0:
        raise DomainError(Code.EMPTY_AUDIENCE, "The audience selects no customer.", "audience")


async def create_campaign(principal: Principal, draft: CampaignDraft) -> Campaign:
    """A DRAFT campaign; `schedule_campaign` makes it run."""
    principal.require(Operation.CAMPAIGN_MANAGE)
    org = principal.organization_id
    program = await load_program(org)
    errors: list[FieldError] = []
    name = _text(errors, draft.name, "name", MAX_NAME)
    reason = _text(errors, draft.reason, "reason", MAX_REASON)
    _points(errors, draft.points)
    scheduled_at = _moment(errors, draft.scheduled_at)
    errors += await _audience_errors(org, draft.audience, program)
    if errors:
        raise ValidationFailed(errors)
    await _require_members(org, draft.audience, program)
    async with atomic() as conn:
        return await repository.create(
            conn,
            organization_id=org,
            name=name,
            audience=audience.to_json(draft.audience),
            points=draft.points,
            reason=reason,
            scheduled_at=scheduled_at,
            created_by_id=principal.subject_id,
        )


async def create_draft(
    principal: Principal,
    draft: CampaignDraft,
    source_roadmap_item_id: uuid.UUID,
    conn: BaseDBAsyncClient,
) -> Campaign:
    """A DRAFT from a persona roadmap item, inside the caller's transaction (staff review it
    before scheduling, so an audience empty today is allowed)."""
    principal.require(Operation.CAMPAIGN_MANAGE)
    return await repository.create(
        conn,
        organization_id=principal.organization_id,
        name=draft.name[:MAX_NAME],
        audience=audience.to_json(draft.audience),
        points=draft.points,
        reason=draft.reason[:MAX_REASON],
        created_by_id=principal.subject_id,
        source_roadmap_item_id=source_roadmap_item_id,
    )


def _not_editable(campaign: Campaign, what: str) -> DomainError:
    return DomainError(
        Code.WRONG_STATUS, f"A {campaign.status.value} campaign cannot be {what}.", "id"
    )


async def _locked(
    principal: Principal, campaign_id: uuid.UUID, conn: BaseDBAsyncClient
) -> Campaign:
    campaign = await repository.lock(principal.organization_id, campaign_id, conn)
    if campaign is None:
        raise DomainError(Code.NOT_FOUND, "No such campaign.", "id")
    return campaign


def _stored_audience(campaign: Campaign) -> CustomerFilter:
    try:
        return audience.from_json(campaign.audience)
    except audience.AudienceInvalid as exc:
        raise DomainError(Code.INVALID_AUDIENCE, exc.message, f"audience.{exc.field}") from None


async def update_campaign(
    principal: Principal, campaign_id: uuid.UUID, changes: CampaignChanges
) -> Campaign:
    """Edit a DRAFT or SCHEDULED campaign; a SCHEDULED one moved in time gets a new job."""
    principal.require(Operation.CAMPAIGN_MANAGE)
    org = principal.organization_id
    program = await load_program(org)
    errors: list[FieldError] = []
    updates: dict[str, Any] = {}
    if isinstance(changes.name, str):
        updates["name"] = _text(errors, changes.name, "name", MAX_NAME)
    if isinstance(changes.reason, str):
        updates["reason"] = _text(errors, changes.reason, "reason", MAX_REASON)
    if isinstance(changes.points, int):
        _points(errors, changes.points)
        updates["points"] = changes.points
    if changes.scheduled_at is not UNSET:
        updates["scheduled_at"] = _moment(errors, changes.scheduled_at)
    if isinstance(changes.audience, CustomerFilter):
        errors += await _audience_errors(org, changes.audience, program)
        updates["audience"] = audience.to_json(changes.audience)
    if errors:
        raise ValidationFailed(errors)
    async with atomic() as conn:
        campaign = await _locked(principal, campaign_id, conn)
        if campaign.status not in EDITABLE:
            raise _not_editable(campaign, "edited")
        if campaign.status is CampaignStatus.SCHEDULED:
            if "audience" in updates:
                await _require_members(org, audience.from_json(updates["audience"]), program)
            if "scheduled_at" in updates and updates["scheduled_at"] is None:
                updates["scheduled_at"] = utcnow()
        for key, value in updates.items():
            setattr(campaign, key, value)
        if updates:
            await repository.save(campaign, list(updates), conn)
        if campaign.status is CampaignStatus.SCHEDULED and "scheduled_at" in updates:
            await request_job(run(org, campaign.id, campaign.scheduled_at))
    return campaign


async def schedule_campaign(principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    """DRAFT → SCHEDULED: it runs at its scheduled time, or now when it has none."""
    principal.require(Operation.CAMPAIGN_MANAGE)
    org = principal.organization_id
    program = await load_program(org)
    async with atomic() as conn:
        campaign = await _locked(principal, campaign_id, conn)
        if campaign.status is not CampaignStatus.DRAFT:
            raise _not_editable(campaign, "scheduled")
        errors: list[FieldError] = []
        _points(errors, campaign.points)
        moment = _moment(errors, campaign.scheduled_at)
        if errors:
            raise ValidationFailed(errors)
        await _require_members(org, _stored_audience(campaign), program)
        campaign.status = CampaignStatus.SCHEDULED
        campaign.scheduled_at = max(moment or utcnow(), utcnow())
        await repository.save(campaign, ["status", "scheduled_at"], conn)
        await request_job(run(org, campaign.id, campaign.scheduled_at))
    return campaign


async def cancel_campaign(principal: Principal, campaign_id: uuid.UUID) -> Campaign:
    """Before it runs only: a campaign that started credits its whole audience."""
    principal.require(Operation.CAMPAIGN_MANAGE)
    async with atomic() as conn:
        campaign = await _locked(principal, campaign_id, conn)
        if campaign.status not in EDITABLE:
            raise _not_editable(campaign, "cancelled")
        campaign.status = CampaignStatus.CANCELLED
        campaign.cancelled_at = utcnow()
        await repository.save(campaign, ["status", "cancelled_at"], conn)
    return campaign


async def preview(principal: Principal, where: CustomerFilter, points: int) -> CampaignPreview:
    """How many customers the audience selects now, the points they would receive, and the
    liability that adds at the program's point value (a run credits exactly this when the
    audience does not change in between)."""
    principal.require(Operation.CAMPAIGN_READ)
    org = principal.organization_id
    program = await load_program(org)
    errors: list[FieldError] = []
    _points(errors, points)
    errors += await _audience_errors(org, where, program)
    if errors:
        # A query: the refusal is the request's (a top-level error), its message the first.
        raise InvalidArgument(f"{errors[0].field}: {errors[0].message}")
    customers = await _audience_size(org, where, program)
    total = customers * points
    return CampaignPreview(customers, total, program.point_value, money(total, program.point_value))


async def get_campaign(principal: Principal, campaign_id: uuid.UUID) -> Campaign | None:
    principal.require(Operation.CAMPAIGN_READ)
    return await repository.get(principal.organization_id, campaign_id)


async def list_campaigns(
    principal: Principal, page: PageRequest, status: CampaignStatus | None = None
) -> Page[Campaign]:
    principal.require(Operation.CAMPAIGN_READ)
    rows, count = await repository.page(
        principal.organization_id, page.first + 1, page.after, status
    )
    return Page.from_overfetch(rows, page, count)


async def campaigns_by_ids(principal: Principal, ids: list[uuid.UUID]) -> list[Campaign]:
    """The campaigns ledger entries name: whoever reads a wallet's activity sees which."""
    principal.require_any(Operation.CAMPAIGN_READ, Operation.WALLET_READ, Operation.CUSTOMER_READ)
    return await repository.by_ids(principal.organization_id, ids)
