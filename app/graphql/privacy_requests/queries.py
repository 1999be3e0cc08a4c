from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.enums import PrivacyRequestStatus
from app.graphql.pagination import Connection, build_connection, sorted_request
from app.graphql.privacy_requests.inputs import PrivacyRequestSortInput
from app.graphql.privacy_requests.types import PrivacyRequestType
from app.privacy_requests import service
from app.privacy_requests.sorting import PRIVACY_REQUEST_SORTS


@strawberry.type
class PrivacyRequestQueries:
    @strawberry.field(description="One privacy request.")
    async def privacy_request(self, info: Info, id: strawberry.ID) -> PrivacyRequestType | None:
        request = await service.get_request(info.context.principal, parse_id(id))
        return PrivacyRequestType.from_model(request) if request else None

    @strawberry.field(
        description="Privacy requests, newest first unless `sortBy` says otherwise; "
        "`overdue`: open past their deadline. first/after forward, last/before backward."
    )
    async def privacy_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: PrivacyRequestStatus | None = None,
        overdue: bool = False,
        sort_by: PrivacyRequestSortInput | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PrivacyRequestType]:
        request = sorted_request(PRIVACY_REQUEST_SORTS, sort_by, first, after, last, before)
        page = await service.list_requests(
            info.context.principal, request, status=status, overdue=overdue
        )
        return build_connection(page, PrivacyRequestType.from_model, request.sort.cursor_for)
