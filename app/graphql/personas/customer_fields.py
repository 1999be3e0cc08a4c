"""The `persona` field the persona work adds to the Customer type."""

from __future__ import annotations

import strawberry

from app.auth.permissions import Operation
from app.graphql.context import Info
from app.graphql.personas.types import PersonaType
from app.models.customer import Customer


@strawberry.type
class CustomerPersonaFields:
    model: strawberry.Private[Customer]

    @strawberry.field(
        description="The customer's persona in the current set; null without one (no "
        "completed order, or personas not generated yet)."
    )
    async def persona(self, info: Info) -> PersonaType | None:
        info.context.principal.require(Operation.PERSONA_READ)
        found = await info.context.loaders.customer_personas.load(self.model.id)
        return PersonaType.from_model(found) if found is not None else None
