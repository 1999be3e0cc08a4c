from __future__ import annotations

import strawberry

from app.core.pagination import PageRequest
from app.graphql.context import Info
from app.graphql.merges.types import CustomerMergeType
from app.graphql.pagination import Connection, build_connection
from app.merges import service


@strawberry.type
class MergeQueries:
    @strawberry.field(description="The organization's merges, newest first, undone ones included.")
    async def merges(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[CustomerMergeType]:
        page = await service.list_merges(info.context.principal, PageRequest.of(first, after))
        return build_connection(page, CustomerMergeType.from_model)
