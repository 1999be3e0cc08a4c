"""Applying a persona roadmap item: its suggestion becomes a DRAFT campaign (a one-off credit)
or a DRAFT earning rule (a standing bonus) targeted at that persona.

Which items apply, and how, is keyed by the rule that generated them (`rule_key`); the
numbers come from the item's suggested setting as it reads now (staff may have edited it)
and from the persona's own figures. An item applies at most once: the campaign or rule keeps
the item it came from (unique), and applying again returns the same one.
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
from app.models.earning_rule import EarningRule, EarningRuleKind
from app.models.persona import Persona, RoadmapItem
from app.organizations.profile import load_program
from app.organizations.program import LoyaltyProgram
from app.personas import repository as personas
from app.rules import service as rules
from app.rules.service import EarningRuleInput

# The settings app/personas/suggestions.py writes, as they read:
# "2× points for 30 days for customers inactive 180+ days."  # noqa: RUF003
_MULTIPLIER = re.compile(r"(\d+(?:\.\d+)?)\s*×\s*points")
_INACTIVE = re.compile(r"inactive\s+(\d+)\+\s*days")
# "+50 points on every 2nd order within 90 days."
_EVERY_NTH = re.compile(r"\+(\d+) points on every (\d+)(?:st|nd|rd|th) order within (\d+) days")
# "+30 points on a second order within 49 days of the first."
_SECOND = re.compile(r"\+(\d+) points on a second order within (\d+) days of the first")
# "+50 points on an order within 72 days of the previous one."
_NEXT = re.compile(r"\+(\d+) points on an order within (\d+) days of the previous one")
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


@dataclass(frozen=True)
class RuleDraft:
    kind: EarningRuleKind
    data: EarningRuleInput


@dataclass(frozen=True)
class StreakSetting:
    """ "+P points on the Nth order within D days" in any of the suggestions' wordings."""

    points: int
    orders: int
    within_days: int
    # Once per customer: "a second order" happens once.
    once: bool = False


def _streak(setting: str) -> StreakSetting | None:
    if found := _EVERY_NTH.search(setting):
        points, orders, days = (int(g) for g in found.groups())
        return StreakSetting(points, orders, days)
    if found := _SECOND.search(setting):
        return StreakSetting(int(found.group(1)), 2, int(found.group(2)), once=True)
    if found := _NEXT.search(setting):
        return StreakSetting(int(found.group(1)), 2, int(found.group(2)))
    return None


def _streak_rule(item: RoadmapItem, persona: Persona, program: LoyaltyProgram) -> RuleDraft | None:
    """A STREAK rule for the persona: its members earn the bonus at the pace suggested."""
    found = _streak(item.suggested_setting)
    if found is None:
        return None
    return RuleDraft(
        EarningRuleKind.STREAK,
        EarningRuleInput(
            name=item.title,
            points=found.points,
            conditions={"orders": found.orders, "withinDays": found.within_days},
            audience=CustomerFilter(persona_id=uuid.UUID(str(item.persona_identity_id))),
            per_customer_limit=1 if found.once else None,
        ),
    )


Plan = Callable[[RoadmapItem, Persona, LoyaltyProgram], CampaignDraft | RuleDraft | None]
# Roadmap suggestions that are a one-off credit (a campaign) or a standing bonus (a rule).
PLANS: dict[str, tuple[Plan, Callable[[str], object | None]]] = {
    "renewal.win_back": (_win_back_campaign, _win_back),
    "routine.visit_streaks": (_streak_rule, _streak),
    "routine.on_time_bonus": (_streak_rule, _streak),
    "momentum.next_visit_bonus": (_streak_rule, _streak),
    "trial.second_purchase": (_streak_rule, _streak),
}


def is_applicable(item: RoadmapItem) -> bool:
    """Whether `roadmapItemApply` can turn this item into a draft (its setting still reads)."""
    plan = PLANS.get(item.rule_key or "")
    return plan is not None and plan[1](item.suggested_setting) is not None


@dataclass(frozen=True)
class Application:
    """What a roadmap item became: a campaign or an earning rule."""

    campaign: Campaign | None = None
    rule: EarningRule | None = None


@dataclass(frozen=True)
class Applied:
    item: RoadmapItem
    application: Application
    # False when the item had been applied before: this is what it created then.
    created: bool


async def _existing(organization_id: uuid.UUID, item_id: uuid.UUID) -> Application | None:
    campaign = await repository.by_roadmap_item(organization_id, item_id)
    if campaign is not None:
        return Application(campaign=campaign)
    rule = await repository.rule_by_roadmap_item(organization_id, item_id)
    return Application(rule=rule) if rule is not None else None


async def _create(
    principal: Principal, item: RoadmapItem, draft: CampaignDraft | RuleDraft
) -> Application:
    """The draft, linked to its item, in one transaction: a concurrent apply of the same item
    fails on the link's unique index and rolls its draft back."""
    async with atomic() as conn:
        if isinstance(draft, CampaignDraft):
            return Application(campaign=await create_draft(principal, draft, item.id, conn))
        rule = await rules.create_rule(principal, draft.kind, draft.data)
        await repository.link_rule(rule.id, item.id, conn)
        rule.source_roadmap_item_id = item.id
        return Application(rule=rule)


async def apply_roadmap_item(principal: Principal, item_id: uuid.UUID) -> Applied:
    """Create the item's draft (campaign: `campaign:manage`; rule: `earning_rule:manage`), or
    return the one it created before."""
    principal.require_any(Operation.CAMPAIGN_MANAGE, Operation.EARNING_RULE_MANAGE)
    org = principal.organization_id
    async with atomic() as conn:
        item = await personas.live_roadmap_item(org, item_id, conn)
    if item is None:
        raise DomainError(Code.NOT_FOUND, "No such roadmap item.", "id")
    existing = await _existing(org, item.id)
    if existing is not None:
        return Applied(item, existing, created=False)
    plan = PLANS.get(item.rule_key or "")
    if plan is None or not is_applicable(item):
        raise DomainError(
            Code.NOT_APPLICABLE, "This roadmap item suggests no campaign or earning rule.", "id"
        )
    persona = await personas.persona_in_current_set(org, uuid.UUID(str(item.persona_identity_id)))
    draft = plan[0](item, persona, await load_program(org)) if persona is not None else None
    if draft is None:
        raise DomainError(
            Code.NOT_APPLICABLE, "The persona of this item is not among the current ones.", "id"
        )
    try:
        application = await _create(principal, item, draft)
    except IntegrityError:
        # Applied concurrently: the other request's draft is the item's.
        existing = await _existing(org, item.id)
        if existing is None:
            raise
        return Applied(item, existing, created=False)
    return Applied(item, application, created=True)


async def applications(
    principal: Principal, item_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Application]:
    """What each of these roadmap items was applied as (items never applied: absent)."""
    principal.require_any(Operation.CAMPAIGN_READ, Operation.PERSONA_READ)
    org = principal.organization_id
    found: dict[uuid.UUID, Application] = {}
    for rule in await repository.rules_by_roadmap_items(org, item_ids):
        found[uuid.UUID(str(rule.source_roadmap_item_id))] = Application(rule=rule)
    for campaign in await repository.by_roadmap_items(org, item_ids):
        found[uuid.UUID(str(campaign.source_roadmap_item_id))] = Application(campaign=campaign)
    return found
