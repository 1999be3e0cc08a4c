"""The personas service: what GraphQL, the CLI and the workers call.

Every function takes the principal (a worker acts as the organization's SYSTEM principal),
checks its permission and scopes by its organization. The rules live in one module per seam:
`eligibility`, `queries` (reading), `regeneration` (asking for a run, reconciling),
`generation` (the run), `progress` (live progress of a run) and `roadmap` (staff edits);
queries in `repository`.
"""

from __future__ import annotations

import uuid

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.models.persona import PersonaSet
from app.personas import repository
from app.personas.eligibility import Eligibility, EligibilityReason, Requirement
from app.personas.generation import run_generation
from app.personas.progress import RegenerationProgress, RegenerationStep
from app.personas.progress import watch as watch_regeneration
from app.personas.queries import (
    PersonasOverview,
    PersonasStatus,
    eligibility,
    history,
    overview,
    personas_of_customers,
    roadmaps,
)
from app.personas.regeneration import (
    MAX_ATTEMPTS,
    STALE_AFTER,
    Reconciled,
    fail_unexpectedly,
    may_force,
    organizations,
    reconcile,
    request_regeneration,
    request_scheduled_regeneration,
)
from app.personas.roadmap import (
    RoadmapChanges,
    add_roadmap_item,
    delete_roadmap_item,
    move_roadmap_item,
    update_roadmap_item,
)

__all__ = [
    "MAX_ATTEMPTS",
    "STALE_AFTER",
    "Eligibility",
    "EligibilityReason",
    "PersonasOverview",
    "PersonasStatus",
    "Reconciled",
    "RegenerationProgress",
    "RegenerationStep",
    "Requirement",
    "RoadmapChanges",
    "add_roadmap_item",
    "current_set",
    "delete_roadmap_item",
    "eligibility",
    "fail_unexpectedly",
    "forget_customer",
    "history",
    "may_force",
    "move_roadmap_item",
    "organizations",
    "overview",
    "personas_of_customers",
    "reconcile",
    "request_regeneration",
    "request_scheduled_regeneration",
    "roadmaps",
    "run_generation",
    "update_roadmap_item",
    "watch_regeneration",
]


async def current_set(principal: Principal) -> PersonaSet | None:
    principal.require(Operation.PERSONA_READ)
    return await repository.current_set(principal.organization_id)


async def forget_customer(principal: Principal, customer_id: uuid.UUID) -> int:
    """Drop a customer's persona assignments (every set): part of a privacy erasure. Persona
    aggregates are anonymous and stay as they are."""
    principal.require(Operation.PRIVACY_REQUEST)
    return await repository.forget_customer(principal.organization_id, customer_id)
