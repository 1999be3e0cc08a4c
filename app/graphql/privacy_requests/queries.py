from __future__ import annotations

import strawberry

from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.graphql.context import Info
from app.graphql.enums import PrivacyRequestStatus
from app.graphql.pagination import Connection, build_connection
from app.graphql.privacy_requests.types import PrivacyRequestType
from app.privacy_requests import service


@strawberry.type
class PrivacyRequestQueries:
    @strawberry.field(description="One privacy request.")
    async def privacy_request(self, info: Info, id: strawberry.ID) -> PrivacyRequestType | None:
        request = await service.get_request(info.context.principal, parse_id(id))
        return PrivacyRequestType.from_model(request) if request else None

    @strawberry.field(
        description="Privacy requests, newest first; `overdue`: open past their deadline."
    )
    async def privacy_requests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: PrivacyRequestStatus | None = None,
        overdue: bool = False,
    ) -> Connection[PrivacyRequestType]:
        page = await service.list_requests(
            info.context.principal, PageRequest.of(first, after), status=status, overdue=overdue
        )
        return build_connection(page, PrivacyRequestType.from_model)
