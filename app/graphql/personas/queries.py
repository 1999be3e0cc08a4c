from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.personas.types import PersonasOverviewType
from app.personas import service


@strawberry.type
class PersonaQueries:
    @strawberry.field(
        description="The current personas, the state of their regeneration and what the "
        "organization lacks to have them."
    )
    async def personas(self, info: Info) -> PersonasOverviewType:
        return PersonasOverviewType.of(await service.overview(info.context.principal))
