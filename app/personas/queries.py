"""What staff read about personas: the overview, the history, eligibility, a customer's
persona and a persona's roadmap. Each takes the principal and checks PERSONA_READ."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.models.persona import Persona, PersonaSet, RoadmapItem
from app.organizations.program import program_of
from app.personas import repository
from app.personas.eligibility import Eligibility, evaluate
from app.personas.rules import PersonaRules, rules_of

MAX_HISTORY = 100


class PersonasStatus(StrEnum):
    """Where an organization's personas stand: the state of its latest regeneration."""

    NOT_GENERATED = "NOT_GENERATED"
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


@dataclass(frozen=True)
class PersonasOverview:
    status: PersonasStatus
    eligibility: Eligibility
    current: PersonaSet | None
    latest: PersonaSet | None
    personas: list[Persona]
    next_regeneration_at: dt.datetime | None


def next_regeneration_at(current: PersonaSet | None, rules: PersonaRules) -> dt.datetime | None:
    """When the rate limit allows the next regeneration (None: now)."""
    if current is None or current.generated_at is None:
        return None
    return current.generated_at + dt.timedelta(days=rules.refresh_interval_days)


async def eligibility(principal: Principal) -> Eligibility:
    principal.require(Operation.PERSONA_READ)
    org = await repository.organization(principal.organization_id)
    return await evaluate(org.id, rules_of(org), program_of(org))


async def overview(principal: Principal) -> PersonasOverview:
    principal.require(Operation.PERSONA_READ)
    org = await repository.organization(principal.organization_id)
    rules = rules_of(org)
    current = await repository.current_set(org.id)
    latest = await repository.latest_set(org.id)
    personas = await repository.personas_of_set(org.id, current.id) if current else []
    status = PersonasStatus(latest.status.value) if latest else PersonasStatus.NOT_GENERATED
    return PersonasOverview(
        status=status,
        eligibility=await evaluate(org.id, rules, program_of(org)),
        current=current,
        latest=latest,
        personas=personas,
        next_regeneration_at=next_regeneration_at(current, rules),
    )


async def history(principal: Principal, first: int) -> list[PersonaSet]:
    """The organization's persona sets, newest first."""
    principal.require(Operation.PERSONA_READ)
    return await repository.sets(principal.organization_id, max(0, min(first, MAX_HISTORY)))


async def personas_of_customers(
    principal: Principal, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Persona]:
    """Each customer's persona in the current set (customers without one are absent)."""
    principal.require(Operation.PERSONA_READ)
    return await repository.personas_of_customers(principal.organization_id, customer_ids)


async def roadmaps(
    principal: Principal, identity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RoadmapItem]]:
    """Each persona's (identity's) roadmap, in order."""
    principal.require(Operation.PERSONA_READ)
    return await repository.roadmaps(principal.organization_id, identity_ids)
