from __future__ import annotations

import strawberry

from app.auth import service
from app.graphql.accounts.types import ApiKeyType, StaffType, Viewer
from app.graphql.context import Info


@strawberry.type
class AccountQueries:
    @strawberry.field
    async def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        staff = await service.viewer_staff(principal)
        return Viewer(
            organization_id=strawberry.ID(str(principal.organization_id)),
            kind=principal.kind.value,
            staff=StaffType.from_model(staff) if staff else None,
            role=principal.role,
            scopes=sorted(principal.scopes),
        )

    @strawberry.field
    async def staff_members(self, info: Info) -> list[StaffType]:
        return [StaffType.from_model(s) for s in await service.list_staff(info.context.principal)]

    @strawberry.field
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        keys = await service.list_api_keys(info.context.principal)
        return [ApiKeyType.from_model(k) for k in keys]
