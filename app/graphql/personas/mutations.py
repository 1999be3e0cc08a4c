from __future__ import annotations

import logging

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Context
from app.graphql.errors import PersonaError, persona_errors
from app.graphql.personas.inputs import RoadmapItemInput, RoadmapItemUpdateInput
from app.graphql.personas.types import PersonaRegeneration, RoadmapItemType
from app.personas import service

logger = logging.getLogger("app.graphql")
Info = strawberry.Info[Context, None]


@strawberry.type
class PersonasRegeneratePayload:
    regeneration: PersonaRegeneration | None = strawberry.field(
        description="The RUNNING regeneration; the `personas` query shows it finish."
    )
    errors: list[PersonaError]


@strawberry.type
class RoadmapItemPayload:
    roadmap_item: RoadmapItemType | None
    errors: list[PersonaError]


@strawberry.type
class RoadmapItemMovePayload:
    roadmap_item: RoadmapItemType | None
    roadmap: list[RoadmapItemType] = strawberry.field(
        description="The persona's whole roadmap in its new order."
    )
    errors: list[PersonaError]


@strawberry.type
class RoadmapItemDeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[PersonaError]


@strawberry.type
class PersonaMutations:
    @strawberry.mutation(
        description="Regenerate the personas in the background. At most once per refresh "
        "interval (30 days by default) unless an owner forces it; refused with NOT_ELIGIBLE "
        "(saying what is missing) or REGENERATION_IN_PROGRESS."
    )
    async def personas_regenerate(
        self, info: Info, force: bool = False
    ) -> PersonasRegeneratePayload:
        try:
            persona_set = await service.request_regeneration(info.context.principal, force=force)
        except DomainError as exc:
            return PersonasRegeneratePayload(regeneration=None, errors=persona_errors(exc))
        return PersonasRegeneratePayload(
            regeneration=PersonaRegeneration.from_model(persona_set), errors=[]
        )

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
            return RoadmapItemPayload(roadmap_item=None, errors=persona_errors(exc))
        return RoadmapItemPayload(roadmap_item=RoadmapItemType.from_model(item), errors=[])

    @strawberry.mutation(description="Edit, tick or annotate a roadmap item.")
    async def roadmap_item_update(
        self, info: Info, id: strawberry.ID, input: RoadmapItemUpdateInput
    ) -> RoadmapItemPayload:
        try:
            item = await service.update_roadmap_item(
                info.context.principal, parse_id(id, "id"), input.to_changes()
            )
        except DomainError as exc:
            return RoadmapItemPayload(roadmap_item=None, errors=persona_errors(exc))
        return RoadmapItemPayload(roadmap_item=RoadmapItemType.from_model(item), errors=[])

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
            return RoadmapItemMovePayload(roadmap_item=None, roadmap=[], errors=persona_errors(exc))
        moved = next(i for i in order if i.id == item_id)
        return RoadmapItemMovePayload(
            roadmap_item=RoadmapItemType.from_model(moved),
            roadmap=[RoadmapItemType.from_model(i) for i in order],
            errors=[],
        )

    @strawberry.mutation(
        description="Remove a roadmap item. A generated item is dismissed: later "
        "regenerations do not suggest it again."
    )
    async def roadmap_item_delete(self, info: Info, id: strawberry.ID) -> RoadmapItemDeletePayload:
        try:
            deleted = await service.delete_roadmap_item(info.context.principal, parse_id(id, "id"))
        except DomainError as exc:
            return RoadmapItemDeletePayload(deleted_id=None, errors=persona_errors(exc))
        return RoadmapItemDeletePayload(deleted_id=strawberry.ID(str(deleted)), errors=[])
