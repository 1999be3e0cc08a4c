"""The generation run: features, clustering, portraits, identities, then one switch.

`run_generation` is safe to run twice: a finished or failed set is left alone and a re-run of
an interrupted one starts over. A set becomes current only once its personas and every
assignment are written, in one short transaction that also moves `is_current` off the previous
set; readers only ever read the current set, so nobody sees half of one. Previous sets stay as
history; the assignments of sets older than the previous one are deleted (the previous one's
are kept for identity matching).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.ids import new_id
from app.core.transactions import atomic
from app.models.persona import Persona, PersonaSet, PersonaSetStatus, RoadmapItem, RoadmapItemSource
from app.organizations.program import LoyaltyProgram, program_of
from app.personas import identity, repository
from app.personas.eligibility import evaluate
from app.personas.errors import PersonaSetFailure as Failure
from app.personas.explain import Portrait, portraits
from app.personas.features import CustomerFeatures, id_keys, load_features, load_vocabulary
from app.personas.model import Clustering, ModelConfig, cluster
from app.personas.progress import RegenerationStep as Step
from app.personas.progress import advance, announce
from app.personas.regeneration import CONNECTION, MAX_ATTEMPTS, mark_failed
from app.personas.repository import assignments as bulk
from app.personas.repository import features as features_sql
from app.personas.roadmap import MAX_SETTING, MAX_TITLE
from app.personas.rules import PersonaRules, rules_of


@dataclass
class _Plan:
    """Everything computed before writing, so writing is short."""

    features: CustomerFeatures
    clustering: Clustering
    portraits: list[Portrait]
    matches: list[identity.Match]
    previous: PersonaSet | None
    timings: dict[str, float] = field(default_factory=dict)


async def _previous_personas(previous: PersonaSet) -> list[identity.PreviousPersona]:
    names = [str(n) for n in (previous.details or {}).get("features", [])]
    rows = await repository.personas_of_set(previous.organization_id, previous.id)  # type: ignore[arg-type]
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
    customers, identities = await bulk.read_assignments(repository.db(), previous.id)
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
    async with atomic(CONNECTION) as conn:
        await features_sql.widen_sort_memory(conn)
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
    await advance(persona_set, Step.CLUSTERING, len(features))
    previous = await repository.current_set(organization_id)
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
    await advance(persona_set, Step.DESCRIBING)
    mark = clock()
    drawn = await asyncio.to_thread(
        portraits, features, clustering, program, rules.min_persona_size
    )
    timings["explanation"] = round(clock() - mark, 3)
    await advance(persona_set, Step.MATCHING)
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
    async with atomic(CONNECTION) as conn:
        # A re-run after a crash starts from a clean slate.
        await repository.clear_set(persona_set.id, conn)
        await repository.create_personas(
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
                    note=portrait.note,
                )
                for position, (portrait, match) in enumerate(
                    zip(plan.portraits, plan.matches, strict=True)
                )
            ],
            conn,
        )
        await bulk.write_assignments(
            conn,
            persona_set.id,
            plan.features.ids,
            clustering.labels,
            [m.identity_id for m in plan.matches],
        )
    # Fresh statistics before the set is read: targeting plans on (set, persona, customer).
    await features_sql.refresh_statistics(repository.db(), bulk.TABLE)
    plan.timings["writing"] = round(asyncio.get_running_loop().time() - started, 3)
    async with atomic(CONNECTION) as conn:
        await repository.lock_organization(conn, org_id)
        fresh = await repository.set_by_id(persona_set.id, conn)
        if fresh is None or fresh.status is not PersonaSetStatus.RUNNING:
            return False
        await _add_roadmap_items(org_id, plan, conn)
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
        await repository.make_current(
            org_id,
            persona_set.id,
            conn,
            generated_at=utcnow(),
            customer_count=len(plan.features),
            details=details,
        )
    return True


async def _add_roadmap_items(org_id: uuid.UUID, plan: _Plan, conn: BaseDBAsyncClient) -> None:
    """Generated items for rules that fired and the persona does not have yet (staff edits,
    ticks and dismissals of earlier ones are left as they are)."""
    identities = [m.identity_id for m in plan.matches]
    existing = await repository.roadmap_keys(org_id, identities, conn)
    keys: dict[Any, set[str]] = {}
    last: dict[Any, int] = {}
    for identity_id, rule_key, position in existing:
        if rule_key:
            keys.setdefault(identity_id, set()).add(str(rule_key))
        last[identity_id] = max(last.get(identity_id, -1), position)
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
        await repository.create_roadmap_items(created, conn)


async def run_generation(
    principal: Principal, persona_set_id: uuid.UUID, *, as_of: dt.datetime | None = None
) -> PersonaSet | None:
    """Generate a RUNNING set and make it current. Safe to run twice: a finished or failed set
    is left alone, and a re-run of an interrupted one starts over.

    `as_of` is the moment recency and ages are measured from, and after which orders are left
    out: the argument (tests pin it to the moment their synthetic history ends), else the one
    the request stored (`asOf` in the set's details), else now.
    """
    principal.require(Operation.PERSONA_REGENERATE)
    persona_set = await repository.set_by_id(persona_set_id)
    if persona_set is None or persona_set.organization_id != principal.organization_id:
        return None
    if persona_set.status is not PersonaSetStatus.RUNNING:
        return persona_set
    asked = (persona_set.details or {}).get("asOf")
    now = as_of or (dt.datetime.fromisoformat(asked) if isinstance(asked, str) else utcnow())
    attempts = int((persona_set.details or {}).get("attempts", 0)) + 1
    if attempts > MAX_ATTEMPTS:
        return await mark_failed(persona_set, Failure.TOO_MANY_ATTEMPTS)
    persona_set.details = {**(persona_set.details or {}), "attempts": attempts}
    await advance(persona_set, Step.READING_DATA)
    org = await repository.organization(principal.organization_id)
    rules, program = rules_of(org), program_of(org)
    found = await evaluate(org.id, rules, program)
    if not found.eligible:
        return await mark_failed(
            persona_set,
            Failure.NOT_ELIGIBLE,
            {"reasons": [r.requirement.value for r in found.reasons]},
        )
    plan = await _plan(persona_set, rules, program, now)
    if isinstance(plan, Failure):
        return await mark_failed(persona_set, plan)
    await advance(persona_set, Step.WRITING)
    mark = asyncio.get_running_loop().time()
    if not await _write(persona_set, plan, mark):
        await mark_failed(persona_set, Failure.SUPERSEDED)
        await repository.clear_set(persona_set.id, repository.db())
        return await repository.set_by_id(persona_set_id)
    ready = await repository.set_by_id(persona_set_id)
    if ready is not None:
        await announce(ready)
    keep = {persona_set.id, *([plan.previous.id] if plan.previous else [])}
    # History keeps the personas, not who was in them.
    await repository.prune_assignments(org.id, keep)
    return await repository.set_by_id(persona_set_id)
