"""Applying a persona roadmap item: its suggestion becomes a DRAFT campaign for that persona.

Which items apply, and how, is keyed by the rule that generated them (`rule_key`); the
numbers come from the item's suggested setting as it reads now (staff may have edited it)
and from the persona's own figures. An item applies at most once: the campaign keeps the item
it came from (unique), and applying again returns the same campaign.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.campaigns import repository
from app.campaigns.errors import CampaignErrorCode as Code
from app.campaigns.service import CampaignDraft, create_draft
from app.core.errors import DomainError
from app.core.transactions import atomic
from app.customers.repository.search import CustomerFilter
from app.models.campaign import Campaign
from app.models.customer import LifecycleStage
from app.models.persona import Persona, RoadmapItem
from app.organizations.profile import load_program
from app.organizations.program import LoyaltyProgram
from app.personas import repository as personas

# "2× points for 30 days for customers inactive 180+ days." (app/personas/suggestions.py)  # noqa: RUF003
_MULTIPLIER = re.compile(r"(\d+(?:\.\d+)?)\s*×\s*points")
_INACTIVE = re.compile(r"inactive\s+(\d+)\+\s*days")
MIN_BONUS = 10


@dataclass(frozen=True)
class WinBack:
    """The numbers of a win-back suggestion."""

    multiplier: Decimal
    inactive_days: int


def _win_back(setting: str) -> WinBack | None:
    multiplier, inactive = _MULTIPLIER.search(setting), _INACTIVE.search(setting)
    if multiplier is None or inactive is None:
        return None
    value = Decimal(multiplier.group(1))
    return WinBack(value, int(inactive.group(1))) if value > 1 else None


def _stages_inactive_for(days: int, program: LoyaltyProgram) -> list[LifecycleStage] | None:
    """The lifecycle stages of customers without an order for `days` or more."""
    if days >= program.lost_after_days:
        return [LifecycleStage.LOST]
    if days >= program.at_risk_after_days:
        return [LifecycleStage.AT_RISK, LifecycleStage.LOST]
    return None


def _win_back_campaign(
    item: RoadmapItem, persona: Persona, program: LoyaltyProgram
) -> CampaignDraft | None:
    """A one-off bonus for the persona's lapsed members: the extra points one of its typical
    orders (its median order value) would earn at the suggested multiplier, so the offer is
    worth what the suggested double-points period is worth for one visit."""
    found = _win_back(item.suggested_setting)
    if found is None:
        return None
    typical = Decimal(str(persona.behaviors.get("medianOrderValue") or 0))
    extra = (found.multiplier - 1) * program.points_for(typical)
    points = max(MIN_BONUS, round(extra / MIN_BONUS) * MIN_BONUS)
    return CampaignDraft(
        name=item.title,
        audience=CustomerFilter(
            persona_id=uuid.UUID(str(item.persona_identity_id)),
            lifecycle_stages=_stages_inactive_for(found.inactive_days, program),
        ),
        points=points,
        reason=f"{item.title}: come back and earn again",
    )


Plan = Callable[[RoadmapItem, Persona, LoyaltyProgram], CampaignDraft | None]
# Roadmap suggestions that are a one-off credit of the persona (or a part of it).
CAMPAIGN_PLANS: dict[str, Plan] = {"renewal.win_back": _win_back_campaign}
_READABLE: dict[str, Callable[[str], object | None]] = {"renewal.win_back": _win_back}


def is_applicable(item: RoadmapItem) -> bool:
    """Whether `roadmapItemApply` can turn this item into a draft (its setting still reads)."""
    readable = _READABLE.get(item.rule_key or "")
    return readable is not None and readable(item.suggested_setting) is not None


@dataclass(frozen=True)
class Applied:
    item: RoadmapItem
    campaign: Campaign
    # False when the item had been applied before: this is the campaign it created then.
    created: bool


async def apply_roadmap_item(principal: Principal, item_id: uuid.UUID) -> Applied:
    principal.require(Operation.CAMPAIGN_MANAGE)
    org = principal.organization_id
    async with atomic() as conn:
        item = await personas.live_roadmap_item(org, item_id, conn)
    if item is None:
        raise DomainError(Code.NOT_FOUND, "No such roadmap item.", "id")
    existing = await repository.by_roadmap_item(org, item.id)
    if existing is not None:
        return Applied(item, existing, created=False)
    plan = CAMPAIGN_PLANS.get(item.rule_key or "")
    if plan is None or not is_applicable(item):
        raise DomainError(
            Code.NOT_APPLICABLE, "This roadmap item does not suggest a campaign.", "id"
        )
    persona = await personas.persona_in_current_set(org, uuid.UUID(str(item.persona_identity_id)))
    draft = plan(item, persona, await load_program(org)) if persona is not None else None
    if draft is None:
        raise DomainError(
            Code.NOT_APPLICABLE, "The persona of this item is not among the current ones.", "id"
        )
    try:
        async with atomic() as conn:
            campaign = await create_draft(principal, draft, item.id, conn)
    except IntegrityError:
        # Applied concurrently: the other request's campaign is the item's.
        existing = await repository.by_roadmap_item(org, item.id)
        if existing is None:
            raise
        return Applied(item, existing, created=False)
    return Applied(item, campaign, created=True)


async def applied_campaigns(
    principal: Principal, item_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Campaign]:
    """The campaign each of these roadmap items was applied as (items never applied: absent)."""
    principal.require_any(Operation.CAMPAIGN_READ, Operation.PERSONA_READ)
    rows = await repository.by_roadmap_items(principal.organization_id, item_ids)
    return {uuid.UUID(str(c.source_roadmap_item_id)): c for c in rows}
