"""Persona rules: eligibility, regeneration requests, the generation run, reading, roadmaps.

Every public function takes the authenticated principal (the worker acts as the organization's
SYSTEM principal) and scopes every query by its organization.

Regeneration keeps its intent in the database: `request_regeneration` writes a RUNNING
`PersonaSet` (the job only carries its id), `run_generation` does the work and is safe to run
twice, and `reconcile` re-enqueues or gives up on sets a lost worker left RUNNING. A set
becomes current only once its personas and every assignment are written, in one short
transaction that also moves `is_current` off the previous set; readers only ever read the
current set, so nobody sees half of one. Previous sets stay as history; the assignments of sets
older than the previous one are deleted (the previous one's are kept for identity matching).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

import numpy as np
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max
from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal, PrincipalKind
from app.core.clock import utcnow
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.ids import new_id
from app.core.unset import UNSET, Unset
from app.customers.lookup import LIVE_STATUSES
from app.models.audit import AuditAction
from app.models.order import OrderStatus
from app.models.organization import Organization
from app.models.persona import (
    Persona,
    PersonaAssignment,
    PersonaSet,
    PersonaSetStatus,
    RoadmapItem,
    RoadmapItemSource,
)
from app.models.staff import Role
from app.personas import bulk, identity
from app.personas.errors import PersonaErrorCode as Code
from app.personas.errors import PersonaSetFailure as Failure
from app.personas.explain import Portrait, portraits
from app.personas.features import CustomerFeatures, id_keys, load_features, load_vocabulary
from app.personas.model import Clustering, ModelConfig, cluster
from app.personas.rules import PersonaRules, rules_of
from app.wallets.program import LoyaltyProgram, program_of

logger = logging.getLogger("app.personas")

CONNECTION = "default"
# A run gets this many tries (a killed worker's job is re-run by arq or by `reconcile`).
MAX_ATTEMPTS = 3
# A set RUNNING for longer than this is given up (the job timeout plus a margin).
STALE_AFTER = dt.timedelta(hours=2)
MAX_TITLE = 200
MAX_SETTING = 300
MAX_TEXT = 5_000
# PostgreSQL: room for the hash aggregates of the feature statement.
_PG_WORK_MEM = "SET LOCAL work_mem = '256MB'"


class PersonasStatus(StrEnum):
    """Where an organization's personas stand: the state of its latest regeneration."""

    NOT_GENERATED = "NOT_GENERATED"
    RUNNING = "RUNNING"
    READY = "READY"
    FAILED = "FAILED"


class Requirement(StrEnum):
    COMPLETED_ORDERS = "COMPLETED_ORDERS"
    BIRTHDAY_REWARD = "BIRTHDAY_REWARD"
    CUSTOMERS_WITH_ORDERS = "CUSTOMERS_WITH_ORDERS"


@dataclass(frozen=True)
class EligibilityReason:
    requirement: Requirement
    message: str
    required: int | None = None
    actual: int | None = None


@dataclass(frozen=True)
class Eligibility:
    reasons: tuple[EligibilityReason, ...]

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class PersonasOverview:
    status: PersonasStatus
    eligibility: Eligibility
    current: PersonaSet | None
    latest: PersonaSet | None
    personas: list[Persona]
    next_regeneration_at: dt.datetime | None


# --- eligibility ------------------------------------------------------------------------------


async def _count_up_to(query: str, values: list[Any], limit: int) -> int:
    rows = await connections.get(CONNECTION).execute_query_dict(query, values)
    return min(int(rows[0]["n"]), limit)


async def _eligibility(
    organization_id: uuid.UUID, rules: PersonaRules, program: LoyaltyProgram
) -> Eligibility:
    """What the organization lacks. Counts stop at the threshold, so this stays cheap."""
    conn = connections.get(CONNECTION)
    postgres = conn.capabilities.dialect == "postgres"
    org: Any = organization_id if postgres else str(organization_id)
    p = "$" if postgres else "?"
    orders = await _count_up_to(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM customer_order"  # noqa: S608 - constants
        f" WHERE organization_id = {p}1 AND status = {p}2 AND customer_id IS NOT NULL"
        f" LIMIT {int(rules.min_completed_orders)}) AS capped",
        [org, OrderStatus.COMPLETED.value],
        rules.min_completed_orders,
    )
    live = ", ".join(f"{p}{i}" for i in range(2, 2 + len(LIVE_STATUSES)))
    buyers = await _count_up_to(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM customer"  # noqa: S608 - constants
        f" WHERE organization_id = {p}1 AND status IN ({live}) AND order_count > 0"
        f" LIMIT {int(rules.min_customers)}) AS capped",
        [org, *(s.value for s in LIVE_STATUSES)],
        rules.min_customers,
    )
    reasons: list[EligibilityReason] = []
    if orders < rules.min_completed_orders:
        reasons.append(
            EligibilityReason(
                Requirement.COMPLETED_ORDERS,
                f"At least {rules.min_completed_orders} completed orders are needed;"
                f" the organization has {orders}.",
                rules.min_completed_orders,
                orders,
            )
        )
    if rules.require_birthday_reward and not program.birthday_reward_enabled:
        reasons.append(
            EligibilityReason(
                Requirement.BIRTHDAY_REWARD,
                "The birthday reward must be enabled in the loyalty program.",
            )
        )
    if buyers < rules.min_customers:
        reasons.append(
            EligibilityReason(
                Requirement.CUSTOMERS_WITH_ORDERS,
                f"At least {rules.min_customers} customers with a completed order are needed"
                f" (personas are groups of {rules.min_persona_size} or more);"
                f" the organization has {buyers}.",
                rules.min_customers,
                buyers,
            )
        )
    return Eligibility(tuple(reasons))


async def eligibility(principal: Principal) -> Eligibility:
    principal.require(Operation.PERSONA_READ)
    org = await Organization.get(id=principal.organization_id)
    return await _eligibility(org.id, rules_of(org), program_of(org))


# --- reading ----------------------------------------------------------------------------------


async def current_set(organization_id: uuid.UUID) -> PersonaSet | None:
    return (
        await PersonaSet.filter(organization_id=organization_id, is_current=True)
        .order_by("-generated_at")
        .first()
    )


async def current_set_id(organization_id: uuid.UUID) -> uuid.UUID | None:
    found = await current_set(organization_id)
    return found.id if found else None


def _next_regeneration_at(current: PersonaSet | None, rules: PersonaRules) -> dt.datetime | None:
    if current is None or current.generated_at is None:
        return None
    return current.generated_at + dt.timedelta(days=rules.refresh_interval_days)


async def overview(principal: Principal) -> PersonasOverview:
    principal.require(Operation.PERSONA_READ)
    org = await Organization.get(id=principal.organization_id)
    rules = rules_of(org)
    current = await current_set(org.id)
    latest = await PersonaSet.filter(organization_id=org.id).order_by("-created_at").first()
    personas = (
        await Persona.filter(organization_id=org.id, persona_set_id=current.id).order_by("position")
        if current
        else []
    )
    status = PersonasStatus(latest.status.value) if latest else PersonasStatus.NOT_GENERATED
    return PersonasOverview(
        status=status,
        eligibility=await _eligibility(org.id, rules, program_of(org)),
        current=current,
        latest=latest,
        personas=list(personas),
        next_regeneration_at=_next_regeneration_at(current, rules),
    )


async def history(principal: Principal, first: int) -> list[PersonaSet]:
    """The organization's persona sets, newest first."""
    principal.require(Operation.PERSONA_READ)
    return list(
        await PersonaSet.filter(organization_id=principal.organization_id)
        .order_by("-created_at")
        .limit(max(0, min(first, 100)))
    )


async def persona_counts(
    organization_id: uuid.UUID, set_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Personas per set."""
    rows = await Persona.filter(
        organization_id=organization_id, persona_set_id__in=list(set_ids)
    ).values_list("persona_set_id", flat=True)
    counts: dict[uuid.UUID, int] = {}
    for set_id in rows:
        counts[set_id] = counts.get(set_id, 0) + 1  # type: ignore[index,call-overload]
    return counts


async def personas_of_customers(
    organization_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Persona]:
    """Each customer's persona in the current set (customers without one are absent)."""
    set_id = await current_set_id(organization_id)
    if set_id is None or not customer_ids:
        return {}
    rows = await PersonaAssignment.filter(
        persona_set_id=set_id, customer_id__in=list(customer_ids)
    ).values_list("customer_id", "persona_identity_id")
    identities = {identity_id for _, identity_id in rows}
    personas = {
        p.identity_id: p
        for p in await Persona.filter(
            organization_id=organization_id, persona_set_id=set_id, identity_id__in=identities
        )
    }
    return {
        customer_id: personas[identity_id]
        for customer_id, identity_id in rows
        if identity_id in personas
    }


async def roadmaps(
    organization_id: uuid.UUID, identity_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RoadmapItem]]:
    items = await RoadmapItem.filter(
        organization_id=organization_id,
        persona_identity_id__in=list(identity_ids),
        dismissed=False,
    ).order_by("position", "created_at", "id")
    out: dict[uuid.UUID, list[RoadmapItem]] = {i: [] for i in identity_ids}
    for item in items:
        out.setdefault(item.persona_identity_id, []).append(item)
    return out


async def persona_in_current_set(
    organization_id: uuid.UUID, identity_id: uuid.UUID
) -> Persona | None:
    set_id = await current_set_id(organization_id)
    if set_id is None:
        return None
    return await Persona.get_or_none(
        organization_id=organization_id, persona_set_id=set_id, identity_id=identity_id
    )


# --- requesting a regeneration ----------------------------------------------------------------


def may_force(principal: Principal) -> bool:
    return principal.kind is PrincipalKind.SYSTEM or (
        principal.kind is PrincipalKind.STAFF and principal.role is Role.OWNER
    )


def _is_stale(persona_set: PersonaSet, now: dt.datetime) -> bool:
    return persona_set.created_at < now - STALE_AFTER


def _refusal(reasons: Sequence[EligibilityReason]) -> DomainError:
    return DomainError(
        Code.NOT_ELIGIBLE,
        "Personas cannot be generated yet: " + " ".join(r.message for r in reasons),
    )


async def _lock_organization(conn: BaseDBAsyncClient, organization_id: uuid.UUID) -> None:
    """Serialize regeneration requests of one organization (a no-op on SQLite, whose single
    writer already does)."""
    await (
        Organization.filter(id=organization_id).select_for_update().using_db(conn).only("id").get()
    )


async def request_regeneration(
    principal: Principal, *, force: bool = False, scheduled: bool = False
) -> PersonaSet:
    """Record the intent to regenerate: a RUNNING set the caller enqueues after commit."""
    principal.require(Operation.PERSONA_REGENERATE)
    if force and not may_force(principal):
        raise DomainError(
            Code.FORCE_REQUIRES_OWNER, "Only an owner can force a regeneration.", "force"
        )
    org = await Organization.get(id=principal.organization_id)
    rules = rules_of(org)
    found = await _eligibility(org.id, rules, program_of(org))
    if not found.eligible:
        raise _refusal(found.reasons)
    now = utcnow()
    async with in_transaction(CONNECTION) as conn:
        await _lock_organization(conn, org.id)
        running = (
            await PersonaSet.filter(organization_id=org.id, status=PersonaSetStatus.RUNNING)
            .using_db(conn)
            .order_by("created_at")
        )
        for other in running:
            if not _is_stale(other, now):
                raise DomainError(
                    Code.REGENERATION_IN_PROGRESS,
                    "A regeneration is already running; its personas will replace these.",
                )
            await _mark_failed(other, Failure.TIMED_OUT, conn=conn)
        current = (
            await PersonaSet.filter(organization_id=org.id, is_current=True).using_db(conn).first()
        )
        allowed_at = _next_regeneration_at(current, rules)
        if not force and allowed_at is not None and now < allowed_at:
            raise DomainError(
                Code.RATE_LIMITED,
                f"Personas are regenerated at most once every {rules.refresh_interval_days}"
                f" days; the next regeneration is possible from {allowed_at.isoformat()}"
                " (an owner can force one).",
                "force",
            )
        persona_set = await PersonaSet.create(
            organization_id=org.id,
            status=PersonaSetStatus.RUNNING,
            forced=force,
            requested_by_id=principal.subject_id,
            details={"scheduled": scheduled, "requestedBy": principal.kind.value, "attempts": 0},
            using_db=conn,
        )
        await audit.record(
            principal,
            AuditAction.PERSONAS_REGENERATION_REQUESTED,
            "persona_set",
            persona_set.id,
            {"forced": force, "scheduled": scheduled},
            using_db=conn,
        )
    return persona_set


async def request_scheduled_regeneration(organization_id: uuid.UUID) -> PersonaSet | None:
    """The scheduled refresh of one organization: a new set when its personas are due (none
    yet, or older than the refresh interval), it is eligible and nothing runs; else None."""
    principal = Principal.system(organization_id)
    org = await Organization.get(id=organization_id)
    rules = rules_of(org)
    current = await current_set(organization_id)
    due_at = _next_regeneration_at(current, rules)
    if due_at is not None and utcnow() < due_at:
        return None
    try:
        return await request_regeneration(principal, scheduled=True)
    except DomainError as exc:
        if exc.code in (Code.NOT_ELIGIBLE, Code.REGENERATION_IN_PROGRESS, Code.RATE_LIMITED):
            return None
        raise


# --- the generation run -----------------------------------------------------------------------


@dataclass
class _Plan:
    """Everything computed before writing, so writing is short."""

    features: CustomerFeatures
    clustering: Clustering
    portraits: list[Portrait]
    matches: list[identity.Match]
    previous: PersonaSet | None
    timings: dict[str, float] = field(default_factory=dict)


async def _mark_failed(
    persona_set: PersonaSet,
    failure: Failure,
    details: dict[str, Any] | None = None,
    *,
    conn: BaseDBAsyncClient | None = None,
) -> PersonaSet:
    """FAILED (only from RUNNING), and nothing of it left but the row."""
    db = conn or connections.get(CONNECTION)
    merged = {**(persona_set.details or {}), **(details or {})}
    changed = (
        await PersonaSet.filter(id=persona_set.id, status=PersonaSetStatus.RUNNING)
        .using_db(db)
        .update(status=PersonaSetStatus.FAILED, error_code=failure.value, details=merged)
    )
    if changed:
        await _clear(persona_set.id, db)
        persona_set.status = PersonaSetStatus.FAILED
        persona_set.error_code = failure.value
        persona_set.details = merged
    return persona_set


async def _clear(persona_set_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    await PersonaAssignment.filter(persona_set_id=persona_set_id).using_db(conn).delete()
    await Persona.filter(persona_set_id=persona_set_id).using_db(conn).delete()


async def _previous_personas(previous: PersonaSet) -> list[identity.PreviousPersona]:
    names = [str(n) for n in (previous.details or {}).get("features", [])]
    rows = await Persona.filter(persona_set_id=previous.id).order_by("position")
    out = []
    for p in rows:
        centroid = p.centroid if isinstance(p.centroid, list) else []
        out.append(
            identity.PreviousPersona(
                identity_id=p.identity_id,
                is_other=p.is_other,
                centroid={n: float(v) for n, v in zip(names, centroid, strict=False)},
            )
        )
    return out


async def _match(
    previous: PersonaSet | None, features: CustomerFeatures, clustering: Clustering
) -> list[identity.Match]:
    if previous is None:
        return identity.match(
            clustering.groups,
            clustering.other,
            [],
            jaccard=None,
            centroids=None,
            new_identity=new_id,
        )
    before = await _previous_personas(previous)
    customers, identities = await bulk.read_assignments(connections.get(CONNECTION), previous.id)
    index = np.full(len(features), -1, dtype=np.int64)
    if len(customers) and before:
        keys = id_keys(features.ids)
        rows = np.searchsorted(keys, id_keys(customers))
        rows = np.minimum(rows, len(keys) - 1)
        found = keys[rows] == id_keys(customers)
        position = {p.identity_id.bytes: i for i, p in enumerate(before)}
        which = _identity_positions(identities, position)
        index[rows[found]] = which[found]
    jaccard = None
    if before and identity.coverage(index) >= identity.MIN_OVERLAP_COVERAGE:
        jaccard = identity.overlap(clustering.labels, clustering.groups, index, len(before))
    similarity = (
        identity.centroid_similarity(clustering.scale, clustering.centroids, before)
        if jaccard is None and before
        else None
    )
    return identity.match(
        clustering.groups,
        clustering.other,
        before,
        jaccard=jaccard,
        centroids=similarity,
        new_identity=new_id,
    )


def _identity_positions(identities: Any, position: dict[bytes, int]) -> Any:
    """Position of each row's identity (-1: not a previous persona), through the few distinct
    identities, so a million rows cost one np.unique."""
    unique, inverse = np.unique(id_keys(identities), return_inverse=True)
    lookup = np.array(
        [position.get(bytes(u).ljust(16, b"\x00"), -1) for u in unique], dtype=np.int64
    )
    return lookup[inverse.reshape(-1)]


async def _read_features(organization_id: uuid.UUID, now: dt.datetime) -> CustomerFeatures:
    async with in_transaction(CONNECTION) as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_script(_PG_WORK_MEM)
        vocabulary = await load_vocabulary(organization_id, conn)
        return await load_features(organization_id, now, vocabulary, conn=conn)


async def _plan(
    persona_set: PersonaSet, rules: PersonaRules, program: LoyaltyProgram, now: dt.datetime
) -> _Plan | Failure:
    timings: dict[str, float] = {}
    clock = asyncio.get_running_loop().time
    started = clock()
    organization_id: uuid.UUID = persona_set.organization_id  # type: ignore[assignment]
    features = await _read_features(organization_id, now)
    timings["features"] = round(clock() - started, 3)
    if len(features) < rules.min_customers:
        return Failure.NOT_ENOUGH_CUSTOMERS
    previous = await current_set(organization_id)
    previous_k = (previous.details or {}).get("k") if previous else None
    before = await _previous_personas(previous) if previous else []
    config = ModelConfig(
        seed=rules.seed,
        min_size=rules.min_persona_size,
        preferred_k=previous_k if isinstance(previous_k, int) else None,
        previous_centroids=tuple(p.centroid for p in before if not p.is_other and p.centroid),
    )
    mark = clock()
    clustering = await asyncio.to_thread(cluster, features, config)
    timings["clustering"] = round(clock() - mark, 3)
    mark = clock()
    drawn = await asyncio.to_thread(
        portraits, features, clustering, program, rules.min_persona_size
    )
    timings["explanation"] = round(clock() - mark, 3)
    mark = clock()
    matches = await _match(previous, features, clustering)
    timings["identity"] = round(clock() - mark, 3)
    return _Plan(features, clustering, drawn, matches, previous, timings)


async def _write(persona_set: PersonaSet, plan: _Plan, started: float) -> bool:
    """Personas and assignments under the RUNNING set, then the switch. False when the set
    stopped being RUNNING meanwhile (nothing of it becomes current)."""
    org_id: uuid.UUID = persona_set.organization_id  # type: ignore[assignment]
    clustering = plan.clustering
    names = list(clustering.scale.names)
    async with in_transaction(CONNECTION) as conn:
        # A re-run after a crash starts from a clean slate.
        await _clear(persona_set.id, conn)
        await Persona.bulk_create(
            [
                Persona(
                    organization_id=org_id,
                    persona_set_id=persona_set.id,
                    identity_id=match.identity_id,
                    name=portrait.name,
                    position=position,
                    is_other=portrait.is_other,
                    size=portrait.size,
                    share=portrait.share,
                    centroid=[clustering.raw_centroids[position][n] for n in names],
                    demographics=portrait.demographics,
                    motivations=portrait.motivations,
                    behaviors=portrait.behaviors,
                )
                for position, (portrait, match) in enumerate(
                    zip(plan.portraits, plan.matches, strict=True)
                )
            ],
            using_db=conn,
        )
        await bulk.write_assignments(
            conn,
            persona_set.id,
            plan.features.ids,
            clustering.labels,
            [m.identity_id for m in plan.matches],
        )
    db = connections.get(CONNECTION)
    if db.capabilities.dialect == "postgres":
        # Fresh statistics before the set is read: targeting plans on (set, persona, customer).
        await db.execute_script(f"ANALYZE {bulk.TABLE}")
    plan.timings["writing"] = round(asyncio.get_running_loop().time() - started, 3)
    async with in_transaction(CONNECTION) as conn:
        await _lock_organization(conn, org_id)
        fresh = await PersonaSet.filter(id=persona_set.id).using_db(conn).first()
        if fresh is None or fresh.status is not PersonaSetStatus.RUNNING:
            return False
        await _add_roadmap_items(org_id, plan, conn)
        await (
            PersonaSet.filter(organization_id=org_id, is_current=True)
            .exclude(id=persona_set.id)
            .using_db(conn)
            .update(is_current=False)
        )
        details = {
            **(fresh.details or {}),
            **clustering.details,
            "vocabulary": plan.features.vocabulary.to_json(),
            "timings": plan.timings,
            "identities": [
                {"inherited": m.inherited, "similarity": m.similarity} for m in plan.matches
            ],
            "previousSetId": str(plan.previous.id) if plan.previous else None,
        }
        await (
            PersonaSet.filter(id=persona_set.id)
            .using_db(conn)
            .update(
                status=PersonaSetStatus.READY,
                is_current=True,
                generated_at=utcnow(),
                customer_count=len(plan.features),
                details=details,
            )
        )
    return True


async def _add_roadmap_items(org_id: uuid.UUID, plan: _Plan, conn: BaseDBAsyncClient) -> None:
    """Generated items for rules that fired and the persona does not have yet (staff edits,
    ticks and dismissals of earlier ones are left as they are)."""
    identities = [m.identity_id for m in plan.matches]
    existing = await (
        RoadmapItem.filter(organization_id=org_id, persona_identity_id__in=identities)
        .using_db(conn)
        .values_list("persona_identity_id", "rule_key", "position")
    )
    keys: dict[Any, set[str]] = {}
    last: dict[Any, int] = {}
    for identity_id, rule_key, position in existing:
        if rule_key:
            keys.setdefault(identity_id, set()).add(str(rule_key))
        last[identity_id] = max(last.get(identity_id, -1), cast(int, position))
    created: list[RoadmapItem] = []
    for portrait, match in zip(plan.portraits, plan.matches, strict=True):
        position = last.get(match.identity_id, -1)
        for suggestion in portrait.roadmap:
            if suggestion.rule_key in keys.get(match.identity_id, set()):
                continue
            position += 1
            created.append(
                RoadmapItem(
                    organization_id=org_id,
                    persona_identity_id=match.identity_id,
                    rule_key=suggestion.rule_key,
                    source=RoadmapItemSource.GENERATED,
                    title=suggestion.title[:MAX_TITLE],
                    rationale=suggestion.rationale,
                    suggested_setting=suggestion.suggested_setting[:MAX_SETTING],
                    position=position,
                )
            )
    if created:
        await RoadmapItem.bulk_create(created, using_db=conn)


async def _prune(org_id: uuid.UUID, keep: set[uuid.UUID]) -> int:
    """Delete assignments of the organization's sets other than `keep` (history keeps the
    personas, not who was in them)."""
    old = await PersonaSet.filter(organization_id=org_id).values_list("id", flat=True)
    drop = [i for i in old if i not in keep]
    if not drop:
        return 0
    return await PersonaAssignment.filter(persona_set_id__in=drop).delete()


async def run_generation(
    persona_set_id: uuid.UUID, *, as_of: dt.datetime | None = None
) -> PersonaSet | None:
    """Generate a RUNNING set and make it current. Safe to run twice: a finished or failed set
    is left alone, and a re-run of an interrupted one starts over.

    `as_of` is the moment recency and ages are measured from (now by default; tests pin it to
    the moment their synthetic history ends).
    """
    persona_set = await PersonaSet.get_or_none(id=persona_set_id)
    if persona_set is None or persona_set.status is not PersonaSetStatus.RUNNING:
        return persona_set
    now = as_of or utcnow()
    attempts = int((persona_set.details or {}).get("attempts", 0)) + 1
    if attempts > MAX_ATTEMPTS:
        return await _mark_failed(persona_set, Failure.TOO_MANY_ATTEMPTS)
    persona_set.details = {**(persona_set.details or {}), "attempts": attempts}
    await PersonaSet.filter(id=persona_set.id).update(details=persona_set.details)
    org = await Organization.get(id=persona_set.organization_id)
    rules, program = rules_of(org), program_of(org)
    found = await _eligibility(org.id, rules, program)
    if not found.eligible:
        return await _mark_failed(
            persona_set,
            Failure.NOT_ELIGIBLE,
            {"reasons": [r.requirement.value for r in found.reasons]},
        )
    plan = await _plan(persona_set, rules, program, now)
    if isinstance(plan, Failure):
        return await _mark_failed(persona_set, plan)
    mark = asyncio.get_running_loop().time()
    if not await _write(persona_set, plan, mark):
        await _mark_failed(persona_set, Failure.SUPERSEDED)
        await _clear(persona_set.id, connections.get(CONNECTION))
        return await PersonaSet.get_or_none(id=persona_set_id)
    keep = {persona_set.id, *([plan.previous.id] if plan.previous else [])}
    await _prune(org.id, keep)
    return await PersonaSet.get(id=persona_set_id)


async def fail_unexpectedly(persona_set_id: uuid.UUID) -> None:
    """For the worker: an unexpected error ends the set FAILED (the log has the details)."""
    persona_set = await PersonaSet.get_or_none(id=persona_set_id)
    if persona_set is not None:
        await _mark_failed(persona_set, Failure.INTERNAL_ERROR)


@dataclass(frozen=True)
class Reconciled:
    resume: list[uuid.UUID]
    failed: list[uuid.UUID]


async def reconcile(now: dt.datetime | None = None) -> Reconciled:
    """Sets left RUNNING: given up (FAILED, TIMED_OUT) when older than STALE_AFTER, otherwise
    returned for the caller to enqueue again (a no-op when their job is still queued)."""
    now = now or utcnow()
    resume: list[uuid.UUID] = []
    failed: list[uuid.UUID] = []
    for persona_set in await PersonaSet.filter(status=PersonaSetStatus.RUNNING).order_by(
        "created_at"
    ):
        if _is_stale(persona_set, now):
            await _mark_failed(persona_set, Failure.TIMED_OUT)
            failed.append(persona_set.id)
        else:
            resume.append(persona_set.id)
    return Reconciled(resume, failed)


async def forget_customer(organization_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    """Drop a customer's persona assignments (every set): part of a privacy erasure. Persona
    aggregates are anonymous and stay as they are."""
    sets = await PersonaSet.filter(organization_id=organization_id).values_list("id", flat=True)
    return await PersonaAssignment.filter(
        persona_set_id__in=list(sets), customer_id=customer_id
    ).delete()


async def organizations() -> list[uuid.UUID]:
    """Every organization, for the scheduled refresh."""
    ids = await Organization.all().order_by("id").values_list("id", flat=True)
    return [uuid.UUID(str(i)) for i in ids]


# --- roadmap editing --------------------------------------------------------------------------


def _check_text(
    errors: list[FieldError], value: str | None, name: str, limit: int, required: bool = False
) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if required and not text:
        errors.append(FieldError(Code.REQUIRED, f"{name} is required.", name))
    elif len(text) > limit:
        errors.append(FieldError(Code.INVALID, f"{name} is longer than {limit} characters.", name))
    return text


async def add_roadmap_item(
    principal: Principal,
    persona_id: uuid.UUID,
    *,
    title: str,
    rationale: str = "",
    suggested_setting: str = "",
    notes: str = "",
    done: bool = False,
) -> RoadmapItem:
    """A staff item at the end of a current persona's roadmap."""
    principal.require(Operation.PERSONA_EDIT)
    errors: list[FieldError] = []
    title_text = _check_text(errors, title, "title", MAX_TITLE, required=True)
    rationale_text = _check_text(errors, rationale, "rationale", MAX_TEXT)
    setting_text = _check_text(errors, suggested_setting, "suggestedSetting", MAX_SETTING)
    notes_text = _check_text(errors, notes, "notes", MAX_TEXT)
    if errors:
        raise ValidationFailed(errors)
    org_id = principal.organization_id
    if await persona_in_current_set(org_id, persona_id) is None:
        raise DomainError(Code.NOT_FOUND, "No such persona.", "personaId")
    async with in_transaction(CONNECTION) as conn:
        await _lock_organization(conn, org_id)
        last = (
            await RoadmapItem.filter(organization_id=org_id, persona_identity_id=persona_id)
            .using_db(conn)
            .annotate(top=Max("position"))
            .values_list("top", flat=True)
        )
        top = cast(int, last[0]) if last and last[0] is not None else -1
        return await RoadmapItem.create(
            organization_id=org_id,
            persona_identity_id=persona_id,
            source=RoadmapItemSource.STAFF,
            title=title_text,
            rationale=rationale_text or "",
            suggested_setting=setting_text or "",
            notes=notes_text or "",
            done=done,
            position=top + 1,
            using_db=conn,
        )


async def _item(principal: Principal, item_id: uuid.UUID, conn: BaseDBAsyncClient) -> RoadmapItem:
    item = (
        await RoadmapItem.filter(
            id=item_id, organization_id=principal.organization_id, dismissed=False
        )
        .using_db(conn)
        .first()
    )
    if item is None:
        raise DomainError(Code.NOT_FOUND, "No such roadmap item.", "id")
    return item


@dataclass(frozen=True)
class RoadmapChanges:
    title: str | Unset = UNSET
    rationale: str | Unset = UNSET
    suggested_setting: str | Unset = UNSET
    done: bool | Unset = UNSET
    notes: str | Unset = UNSET


async def update_roadmap_item(
    principal: Principal, item_id: uuid.UUID, changes: RoadmapChanges
) -> RoadmapItem:
    principal.require(Operation.PERSONA_EDIT)
    errors: list[FieldError] = []
    updates: dict[str, Any] = {}
    for name, attr, limit in (
        ("title", "title", MAX_TITLE),
        ("rationale", "rationale", MAX_TEXT),
        ("suggestedSetting", "suggested_setting", MAX_SETTING),
        ("notes", "notes", MAX_TEXT),
    ):
        value = getattr(changes, attr)
        if isinstance(value, str):
            updates[attr] = _check_text(errors, value, name, limit, required=attr == "title")
    if isinstance(changes.done, bool):
        updates["done"] = changes.done
    if errors:
        raise ValidationFailed(errors)
    async with in_transaction(CONNECTION) as conn:
        item = await _item(principal, item_id, conn)
        if updates:
            for key, value in updates.items():
                setattr(item, key, value)
            await item.save(update_fields=[*updates, "updated_at"], using_db=conn)
    return item


async def _renumber(
    org_id: uuid.UUID, identity_id: uuid.UUID, order: list[RoadmapItem], conn: BaseDBAsyncClient
) -> None:
    for position, item in enumerate(order):
        if item.position != position:
            item.position = position
            await RoadmapItem.filter(id=item.id).using_db(conn).update(position=position)


async def move_roadmap_item(
    principal: Principal, item_id: uuid.UUID, position: int
) -> list[RoadmapItem]:
    """Put an item at `position` (0 is the top; beyond the end is the end); returns the
    persona's roadmap in its new order."""
    principal.require(Operation.PERSONA_EDIT)
    if position < 0:
        raise DomainError(Code.INVALID, "Position must be 0 or more.", "position")
    org_id = principal.organization_id
    async with in_transaction(CONNECTION) as conn:
        await _lock_organization(conn, org_id)
        item = await _item(principal, item_id, conn)
        siblings = (
            await RoadmapItem.filter(
                organization_id=org_id,
                persona_identity_id=item.persona_identity_id,
                dismissed=False,
            )
            .using_db(conn)
            .order_by("position", "created_at", "id")
        )
        order = [s for s in siblings if s.id != item.id]
        order.insert(min(position, len(order)), item)
        await _renumber(org_id, item.persona_identity_id, order, conn)
    return order


async def delete_roadmap_item(principal: Principal, item_id: uuid.UUID) -> uuid.UUID:
    """Staff items are deleted; generated ones are dismissed, so no refresh brings them back."""
    principal.require(Operation.PERSONA_EDIT)
    org_id = principal.organization_id
    async with in_transaction(CONNECTION) as conn:
        await _lock_organization(conn, org_id)
        item = await _item(principal, item_id, conn)
        if item.source is RoadmapItemSource.GENERATED:
            await RoadmapItem.filter(id=item.id).using_db(conn).update(dismissed=True)
        else:
            await RoadmapItem.filter(id=item.id).using_db(conn).delete()
        rest = (
            await RoadmapItem.filter(
                organization_id=org_id,
                persona_identity_id=item.persona_identity_id,
                dismissed=False,
            )
            .using_db(conn)
            .order_by("position", "created_at", "id")
        )
        await _renumber(org_id, item.persona_identity_id, list(rest), conn)
    return item.id
