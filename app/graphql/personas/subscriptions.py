"""`personaRegeneration`: a persona regeneration's steps as they happen, until it ends."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.enums import PersonaSetFailure, PersonaSetStatus, RegenerationStep
from app.graphql.errors import LiveProgressError
from app.graphql.live import live_limits, payloads
from app.graphql.payloads import Payload
from app.personas import service
from app.personas.service import RegenerationProgress


@strawberry.type(description="A persona regeneration at one moment: its set id, state and step.")
class PersonaRegenerationProgress:
    set_id: strawberry.ID
    status: PersonaSetStatus
    step: RegenerationStep
    step_number: int = strawberry.field(description="1-based position of `step`.")
    step_count: int = strawberry.field(description="How many steps there are, DONE included.")
    customer_count: int | None = strawberry.field(
        description="Customers being grouped, once they have been read."
    )
    error_code: PersonaSetFailure | None
    done: bool = strawberry.field(description="The run ended: this is the last event.")

    @classmethod
    def of(cls, progress: RegenerationProgress) -> PersonaRegenerationProgress:
        failure = progress.error_code
        return cls(
            set_id=strawberry.ID(str(progress.set_id)),
            status=progress.status,
            step=progress.step,
            step_number=progress.step_number,
            step_count=len(RegenerationStep),
            customer_count=progress.customer_count,
            error_code=PersonaSetFailure(failure)
            if failure is not None and failure in PersonaSetFailure._value2member_map_
            else None,
            done=progress.ended,
        )


@strawberry.type
class PersonaRegenerationProgressPayload(Payload):
    progress: PersonaRegenerationProgress | None = None
    errors: list[LiveProgressError] = strawberry.field(default_factory=list)


@strawberry.type
class PersonaSubscriptions:
    @strawberry.subscription(
        description="A persona regeneration's progress (`setId`, or the organization's latest "
        "one): its state now, then each step, ending after the event with `done: true`. A "
        "refusal is one event with `errors`, then the end."
    )
    async def persona_regeneration(
        self, info: Info, set_id: strawberry.ID | None = None
    ) -> AsyncGenerator[PersonaRegenerationProgressPayload, None]:
        stream = service.watch_regeneration(
            info.context.principal,
            parse_id(set_id) if set_id is not None else None,
            live_limits(info),
        )
        async for payload in payloads(stream, _event, PersonaRegenerationProgressPayload.failed):
            yield payload


def _event(progress: RegenerationProgress) -> PersonaRegenerationProgressPayload:
    return PersonaRegenerationProgressPayload(progress=PersonaRegenerationProgress.of(progress))
