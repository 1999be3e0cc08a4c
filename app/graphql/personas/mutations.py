from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import PersonaError
from app.graphql.payloads import Payload
from app.graphql.personas.inputs import RoadmapItemInput, RoadmapItemUpdateInput
from app.graphql.personas.types import PersonaRegeneration, RoadmapItemType
from app.personas import service

logger = logging.getLogger("app.graphql")


@strawberry.type
class PersonasRegeneratePayload(Payload):
    regeneration: PersonaRegeneration | None = strawberry.field(
        default=None, description="The RUNNING regeneration; the `personas` query shows it finish."
    )
    errors: list[PersonaError] = strawberry.field(default_factory=list)


@strawberry.type
class RoadmapItemPayload(Payload):
    roadmap_item: RoadmapItemType | None = None
    errors: list[PersonaError] = strawberry.field(default_factory=list)


@strawberry.type
class RoadmapItemMovePayload(Payload):
    roadmap_item: RoadmapItemType | None = None
    roadmap: list[RoadmapItemType] = strawberry.field(
        default_factory=list, description="The persona's whole roadmap in its new order."
    )
    errors: list[PersonaError] = strawberry.field(default_factory=list)


@strawberry.type
class RoadmapItemDeletePayload(Payload):
    deleted_id: strawberry.ID | None = None
    errors: list[PersonaError] = strawberry.field(default_factory=list)


@strawberry.type
class PersonaMutations:
    @strawberry.mutation(
        description="Regenerate the personas in the background. At most once per refresh "
        "interval (30 days by default) unless an owner forces it; refused with NOT_ELIGIBLE "
        "(saying what is missing) or REGENERATION_IN_PROGRESS."
    )
    async def personas_regenerate(
        self,
        info: Info,
        force: bool = False,
        as_of: Annotated[
            dt.datetime | None,
            strawberry.argument(
                description="Measure recency and ages to this moment and leave out later "
                "orders (default: now); AS_OF_IN_FUTURE when it has not happened yet."
            ),
        ] = None,
    ) -> PersonasRegeneratePayload:
        try:
            persona_set = await service.request_regeneration(
                info.context.principal, force=force, as_of=as_of
            )
        except DomainError as exc:
            return PersonasRegeneratePayload.failed(exc)
        return PersonasRegeneratePayload(regeneration=PersonaRegeneration.from_model(persona_set))

    @strawberry.mutation(description="Add a staff item at the end of a persona's roadmap.")
    async def roadmap_item_add(
        self, info: Info, persona_id: strawberry.ID, input: RoadmapItemInput
    ) -> RoadmapItemPayload:
        try:
            item = await service.add_roadmap_item(
                info.context.principal,
                parse_id(persona_id, "personaId"),
                title=input.title,
                rationale=input.rationale,
                suggested_setting=input.suggested_setting,
                notes=input.notes,
                done=input.done,
            )
        except DomainError as exc:
            return RoadmapItemPayload.failed(exc)
        return RoadmapItemPayload(roadmap_item=RoadmapItemType.from_model(item))

    @strawberry.mutation(description="Edit, tick or annotate a roadmap item.")
    async def roadmap_item_update(
        self, info: Info, id: strawberry.ID, input: RoadmapItemUpdateInput
    ) -> RoadmapItemPayload:
        try:
            item = await service.update_roadmap_item(
                info.context.principal, parse_id(id, "id"), input.to_changes()
            )
        except DomainError as exc:
            return RoadmapItemPayload.failed(exc)
        return RoadmapItemPayload(roadmap_item=RoadmapItemType.from_model(item))

    @strawberry.mutation(
        description="Move a roadmap item to a position of its persona's roadmap (0 is the top)."
    )
    async def roadmap_item_move(
        self, info: Info, id: strawberry.ID, position: int
    ) -> RoadmapItemMovePayload:
        item_id = parse_id(id, "id")
        try:
            order = await service.move_roadmap_item(info.context.principal, item_id, position)
        except DomainError as exc:
            return RoadmapItemMovePayload.failed(exc)
        moved = next(i for i in order if i.id == item_id)
        return RoadmapItemMovePayload(
            roadmap_item=RoadmapItemType.from_model(moved),
            roadmap=[RoadmapItemType.from_model(i) for i in order],
        )

    @strawberry.mutation(
        description="Remove a roadmap item. A generated item is dismissed: later "
        "regenerations do not suggest it again."
    )
    async def roadmap_item_delete(self, info: Info, id: strawberry.ID) -> RoadmapItemDeletePayload:
        try:
            deleted = await service.delete_roadmap_item(info.context.principal, parse_id(id, "id"))
        except DomainError as exc:
            return RoadmapItemDeletePayload.failed(exc)
        return RoadmapItemDeletePayload(deleted_id=strawberry.ID(str(deleted)))
