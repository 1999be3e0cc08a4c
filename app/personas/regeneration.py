"""Asking for a regeneration, and keeping the asks honest.

The intent lives in the database: `request_regeneration` writes a RUNNING `PersonaSet` and, in
the same transaction, requests its run (`app.personas.jobs.regenerate`), which is sent only once
the set is committed. `reconcile` sends the run again for RUNNING sets whose job was lost (the
deterministic job id makes that a no-op while it is queued or running) and gives up on those
RUNNING for longer than any run takes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.audit import service as audit
from app.auth.permissions import Operation
from app.auth.principal import Principal, PrincipalKind
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.jobs import request_job, send_now
from app.core.transactions import atomic
from app.lifecycle.as_of import check_as_of
from app.models.audit import AuditAction
from app.models.persona import PersonaSet, PersonaSetStatus
from app.models.staff import Role
from app.organizations.program import program_of
from app.personas import jobs, repository
from app.personas.eligibility import EligibilityReason, evaluate
from app.personas.errors import PersonaErrorCode as Code
from app.personas.errors import PersonaSetFailure as Failure
from app.personas.progress import announce
from app.personas.queries import next_regeneration_at
from app.personas.rules import rules_of

CONNECTION = repository.CONNECTION
# A run gets this many tries (a killed worker's job is re-run by arq or by `reconcile`).
MAX_ATTEMPTS = 3
# A set RUNNING for longer than this is given up (the job timeout plus a margin).
STALE_AFTER = dt.timedelta(hours=2)


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


async def mark_failed(
    persona_set: PersonaSet,
    failure: Failure,
    details: dict[str, Any] | None = None,
    *,
    conn: BaseDBAsyncClient | None = None,
) -> PersonaSet:
    """FAILED (only from RUNNING), and nothing of it left but the row."""
    db = repository.db(conn)
    merged = {**(persona_set.details or {}), **(details or {})}
    if await repository.fail_running_set(
        persona_set.id, db, error_code=failure.value, details=merged
    ):
        await repository.clear_set(persona_set.id, db)
        persona_set.status = PersonaSetStatus.FAILED
        persona_set.error_code = failure.value
        persona_set.details = merged
        if conn is None:
            # Committed already (inside a transaction, subscribers catch up from the database).
            await announce(persona_set)
    return persona_set


async def request_regeneration(
    principal: Principal,
    *,
    force: bool = False,
    scheduled: bool = False,
    as_of: dt.datetime | None = None,
) -> PersonaSet:
    """Record the intent to regenerate (a RUNNING set) and request its run after commit.

    `as_of`: measure recency and ages to that moment and leave out later orders (kept in the
    set's details for the run); default: when the run starts."""
    principal.require(Operation.PERSONA_REGENERATE)
    as_of = check_as_of(as_of, code=Code.AS_OF_IN_FUTURE)
    if force and not may_force(principal):
        raise DomainError(
            Code.FORCE_REQUIRES_OWNER, "Only an owner can force a regeneration.", "force"
        )
    org = await repository.organization(principal.organization_id)
    rules = rules_of(org)
    found = await evaluate(org.id, rules, program_of(org))
    if not found.eligible:
        raise _refusal(found.reasons)
    now = utcnow()
    async with atomic(CONNECTION) as conn:
        await repository.lock_organization(conn, org.id)
        for other in await repository.running_sets(org.id, conn):
            if not _is_stale(other, now):
                raise DomainError(
                    Code.REGENERATION_IN_PROGRESS,
                    "A regeneration is already running; its personas will replace these.",
                )
            await mark_failed(other, Failure.TIMED_OUT, conn=conn)
        allowed_at = next_regeneration_at(await repository.current_set(org.id, conn), rules)
        if not force and allowed_at is not None and now < allowed_at:
            raise DomainError(
                Code.RATE_LIMITED,
                f"Personas are regenerated at most once every {rules.refresh_interval_days}"
                f" days; the next regeneration is possible from {allowed_at.isoformat()}"
                " (an owner can force one).",
                "force",
            )
        persona_set = await repository.create_set(
            conn,
            organization_id=org.id,
            status=PersonaSetStatus.RUNNING,
            forced=force,
            requested_by_id=principal.subject_id,
            details={
                "scheduled": scheduled,
                "requestedBy": principal.kind.value,
                "attempts": 0,
                **({"asOf": as_of.isoformat()} if as_of is not None else {}),
            },
        )
        await audit.record(
            principal,
            AuditAction.PERSONAS_REGENERATION_REQUESTED,
            "persona_set",
            persona_set.id,
            {"forced": force, "scheduled": scheduled},
            using_db=conn,
        )
        await request_job(jobs.regenerate(org.id, persona_set.id))
    await announce(persona_set)
    return persona_set


async def request_scheduled_regeneration(principal: Principal) -> PersonaSet | None:
    """The scheduled refresh of the principal's organization (a SYSTEM principal): a new set
    when its personas are due (none yet, or older than the refresh interval), it is eligible
    and nothing runs; else None."""
    principal.require(Operation.PERSONA_REGENERATE)
    org = await repository.organization(principal.organization_id)
    due_at = next_regeneration_at(await repository.current_set(org.id), rules_of(org))
    if due_at is not None and utcnow() < due_at:
        return None
    try:
        return await request_regeneration(principal, scheduled=True)
    except DomainError as exc:
        if exc.code in (Code.NOT_ELIGIBLE, Code.REGENERATION_IN_PROGRESS, Code.RATE_LIMITED):
            return None
        raise


async def fail_unexpectedly(principal: Principal, persona_set_id: uuid.UUID) -> None:
    """For the worker: an unexpected error ends the set FAILED (the log has the details)."""
    principal.require(Operation.PERSONA_REGENERATE)
    persona_set = await repository.set_by_id(persona_set_id)
    if persona_set is not None and persona_set.organization_id == principal.organization_id:
        await mark_failed(persona_set, Failure.INTERNAL_ERROR)


@dataclass(frozen=True)
class Reconciled:
    resumed: list[uuid.UUID]
    failed: list[uuid.UUID]


async def reconcile(principal: Principal, now: dt.datetime | None = None) -> Reconciled:
    """The organization's sets left RUNNING: given up (FAILED, TIMED_OUT) when older than
    STALE_AFTER, otherwise their run is sent again (`resumed`: those arq took; a set whose job
    is still queued or running is in neither list)."""
    principal.require(Operation.PERSONA_REGENERATE)
    now = now or utcnow()
    resumed: list[uuid.UUID] = []
    failed: list[uuid.UUID] = []
    for persona_set in await repository.running_sets(principal.organization_id):
        if _is_stale(persona_set, now):
            await mark_failed(persona_set, Failure.TIMED_OUT)
            failed.append(persona_set.id)
        elif await send_now(jobs.regenerate(principal.organization_id, persona_set.id)):
            resumed.append(persona_set.id)
    return Reconciled(resumed, failed)


async def organizations() -> list[uuid.UUID]:
    """Every organization, for the scheduled refresh and reconciliation (each then runs as
    that organization's SYSTEM principal)."""
    return await repository.organization_ids()
