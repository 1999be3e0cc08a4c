"""Live progress of a persona regeneration: the steps a run goes through, published as it goes.

A run records its step in the set (`details.progress`, so a subscriber arriving mid-run reads
it from the database) and publishes it; the end (READY or FAILED) is published once committed.
`watch` follows one set of the caller's organization, or its latest, until it ends. Messages
hold the set id, its status, the step, the number of customers read and a failure code: no
customer and no persona content.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.live import channels
from app.core.live.errors import LiveErrorCode
from app.core.live.follow import Feed, LiveLimits, follow
from app.models.persona import PersonaSet, PersonaSetStatus
from app.personas import repository

KIND = "personas"


class RegenerationStep(StrEnum):
    """Where a run is, in order."""

    QUEUED = "QUEUED"
    READING_DATA = "READING_DATA"
    CLUSTERING = "CLUSTERING"
    DESCRIBING = "DESCRIBING"
    MATCHING = "MATCHING"
    WRITING = "WRITING"
    DONE = "DONE"


STEPS = tuple(RegenerationStep)


@dataclass(frozen=True)
class RegenerationProgress:
    set_id: uuid.UUID
    status: PersonaSetStatus
    step: RegenerationStep
    # Customers the run clusters, once read (None before).
    customer_count: int | None
    # PersonaSetFailure code of a FAILED set.
    error_code: str | None

    @classmethod
    def of(cls, persona_set: PersonaSet) -> RegenerationProgress:
        recorded = (persona_set.details or {}).get("progress")
        recorded = recorded if isinstance(recorded, dict) else {}
        if persona_set.status is PersonaSetStatus.RUNNING:
            step = RegenerationStep(recorded.get("step") or RegenerationStep.QUEUED)
            customers = recorded.get("customers")
        else:
            step = RegenerationStep.DONE
            customers = persona_set.customer_count or recorded.get("customers")
        return cls(
            set_id=persona_set.id,
            status=persona_set.status,
            step=step,
            customer_count=int(customers) if isinstance(customers, int) else None,
            error_code=persona_set.error_code,
        )

    @property
    def ended(self) -> bool:
        return self.status is not PersonaSetStatus.RUNNING

    @property
    def step_number(self) -> int:
        """1-based position of the step among `STEPS`."""
        return STEPS.index(self.step) + 1

    def to_message(self) -> dict[str, Any]:
        return {
            "set": str(self.set_id),
            "status": self.status.value,
            "step": self.step.value,
            "customers": self.customer_count,
            "error": self.error_code,
        }

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> RegenerationProgress | None:
        try:
            customers, error = message["customers"], message["error"]
            return cls(
                set_id=uuid.UUID(str(message["set"])),
                status=PersonaSetStatus(message["status"]),
                step=RegenerationStep(message["step"]),
                customer_count=None if customers is None else int(customers),
                error_code=None if error is None else str(error),
            )
        except (KeyError, ValueError, TypeError):
            return None

    def order(self) -> tuple[int, ...]:
        return (int(self.ended), self.step_number)


def _channel(persona_set: PersonaSet) -> str:
    return channels.channel(KIND, persona_set.organization_id, persona_set.id)  # type: ignore[arg-type]


async def announce(persona_set: PersonaSet) -> None:
    """Publish the set's committed state (after the commit, never inside it)."""
    await channels.publish(_channel(persona_set), RegenerationProgress.of(persona_set).to_message())


async def advance(
    persona_set: PersonaSet, step: RegenerationStep, customers: int | None = None
) -> None:
    """The run reached `step`: recorded in the set, then published."""
    recorded: dict[str, Any] = {"step": step.value}
    previous = (persona_set.details or {}).get("progress")
    if customers is None and isinstance(previous, dict):
        customers = previous.get("customers")
    if customers is not None:
        recorded["customers"] = customers
    persona_set.details = {**(persona_set.details or {}), "progress": recorded}
    await repository.update_set(persona_set.id, details=persona_set.details)
    await announce(persona_set)


async def watch(
    principal: Principal, persona_set_id: uuid.UUID | None, limits: LiveLimits
) -> AsyncGenerator[RegenerationProgress, None]:
    """A regeneration's progress now and at every step until it ends; without an id, the
    organization's latest one."""
    principal.require(Operation.PERSONA_READ)
    organization_id = principal.organization_id
    if persona_set_id is None:
        latest = await repository.latest_set(organization_id)
    else:
        latest = await repository.set_by_id(persona_set_id)
    if latest is None or latest.organization_id != organization_id:
        raise DomainError(LiveErrorCode.NOT_FOUND, "No such persona regeneration.", "setId")
    found = latest

    async def read() -> RegenerationProgress:
        fresh = await repository.set_by_id(found.id)
        if fresh is None:
            raise DomainError(LiveErrorCode.NOT_FOUND, "No such persona regeneration.", "setId")
        return RegenerationProgress.of(fresh)

    def parse(message: dict[str, Any]) -> RegenerationProgress | None:
        progress = RegenerationProgress.from_message(message)
        return progress if progress is not None and progress.set_id == found.id else None

    feed = Feed(_channel(found), read, parse)
    async with aclosing(follow(principal.holder, feed, limits)) as states:
        async for progress in states:
            yield progress
