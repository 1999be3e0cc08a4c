from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.organizations.types import OrganizationType, SignupFormType, StoreType
from app.organizations import service


@strawberry.type
class OrganizationQueries:
    @strawberry.field(description="The organization of the current credential.")
    async def organization(self, info: Info) -> OrganizationType:
        return OrganizationType.from_model(await service.get_organization(info.context.principal))

    @strawberry.field
    async def stores(self, info: Info) -> list[StoreType]:
        return [StoreType.from_model(s) for s in await service.list_stores(info.context.principal)]

    @strawberry.field
    async def signup_forms(self, info: Info) -> list[SignupFormType]:
        forms = await service.list_signup_forms(info.context.principal)
        return [SignupFormType.from_model(f) for f in forms]
