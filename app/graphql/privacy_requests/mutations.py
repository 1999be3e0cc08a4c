from __future__ import annotations

import strawberry

from app.core.errors import DomainError
from app.core.ids import parse_id
from app.graphql.context import Info
from app.graphql.errors import PrivacyRequestError
from app.graphql.payloads import Payload
from app.graphql.privacy_requests.inputs import PrivacyRequestCreateInput
from app.graphql.privacy_requests.types import PrivacyExportLink, PrivacyRequestType
from app.privacy_requests import service
from app.privacy_requests.service import Target


def export_path(token: str) -> str:
    return f"/privacy/exports/{token}"


@strawberry.type
class PrivacyRequestPayload(Payload):
    privacy_request: PrivacyRequestType | None = None
    errors: list[PrivacyRequestError] = strawberry.field(default_factory=list)


@strawberry.type
class PrivacyExportLinkPayload(Payload):
    link: PrivacyExportLink | None = None
    errors: list[PrivacyRequestError] = strawberry.field(default_factory=list)


@strawberry.type
class PrivacyRequestMutations:
    @strawberry.mutation(
        description="File an erasure, export or opt-out for a customer. A worker carries it "
        "out within seconds; follow it with `privacyRequest(id)`."
    )
    async def privacy_request_create(
        self, info: Info, input: PrivacyRequestCreateInput
    ) -> PrivacyRequestPayload:
        try:
            target = Target(
                customer_id=parse_id(input.customer_id, "customerId")
                if input.customer_id is not None
                else None,
                email=input.email,
                phone=input.phone,
            )
            request = await service.file_request(
                info.context.principal, info.context.settings, input.kind, target, input.reason
            )
        except DomainError as exc:
            return PrivacyRequestPayload.failed(exc)
        return PrivacyRequestPayload(privacy_request=PrivacyRequestType.from_model(request))

    @strawberry.mutation(
        description="A single-use link to download a finished export, for the staff member "
        "who asked for it. A new link replaces the previous one."
    )
    async def privacy_export_link(
        self, info: Info, request_id: strawberry.ID
    ) -> PrivacyExportLinkPayload:
        try:
            link = await service.issue_export_link(
                info.context.principal, parse_id(request_id, "requestId")
            )
        except DomainError as exc:
            return PrivacyExportLinkPayload.failed(exc)
        return PrivacyExportLinkPayload(
            link=PrivacyExportLink(url=export_path(link.token), expires_at=link.expires_at)
        )
