from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.merges.inputs import MergeSortInput
from app.graphql.merges.types import CustomerMergeType
from app.graphql.pagination import Connection, build_connection, sorted_request
from app.merges import service
from app.merges.sorting import MERGE_SORTS


@strawberry.type
class MergeQueries:
    @strawberry.field(
        description="The organization's merges, undone ones included, newest first unless "
        "`sortBy` says otherwise; first/after forward, last/before backward."
    )
    async def merges(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        sort_by: MergeSortInput | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerMergeType]:
        request = sorted_request(MERGE_SORTS, sort_by, first, after, last, before)
        page = await service.list_merges(info.context.principal, request)
        return build_connection(page, CustomerMergeType.from_model, request.sort.cursor_for)
