from __future__ import annotations

import datetime as dt

import strawberry

from app.core.clock import utcnow
from app.graphql.enums import PrivacyRequestKind, PrivacyRequestSource, PrivacyRequestStatus
from app.models.privacy_request import PrivacyRequest

OPEN = (PrivacyRequestStatus.RECEIVED, PrivacyRequestStatus.VERIFIED, PrivacyRequestStatus.RUNNING)


@strawberry.type(
    name="PrivacyRequest",
    description="An erasure, export or opt-out, and how far it has gone. It names the customer "
    "by id only: an erased customer's id stays, its data does not.",
)
class PrivacyRequestType:
    id: strawberry.ID
    kind: PrivacyRequestKind
    status: PrivacyRequestStatus
    source: PrivacyRequestSource
    customer_id: strawberry.ID | None
    requested_by_id: strawberry.ID | None = strawberry.field(
        description="The staff member who filed it (null: the shopper or an operator)."
    )
    reason: str
    received_at: dt.datetime
    due_at: dt.datetime = strawberry.field(description="The legal deadline.")
    completed_at: dt.datetime | None
    steps: list[str] = strawberry.field(description="What was done, in order.")
    error_code: str | None
    export_ready: bool = strawberry.field(
        description="An export waits to be downloaded: ask `privacyExportLink` for its link."
    )
    export_expires_at: dt.datetime | None

    @strawberry.field(description="Still open past its legal deadline.")
    def overdue(self) -> bool:
        return self.status in OPEN and self.due_at < utcnow()

    @classmethod
    def from_model(cls, r: PrivacyRequest) -> PrivacyRequestType:
        return cls(
            id=strawberry.ID(str(r.id)),
            kind=r.kind,
            status=r.status,
            source=r.source,
            customer_id=strawberry.ID(str(r.customer_id)) if r.customer_id else None,
            requested_by_id=strawberry.ID(str(r.requested_by_id)) if r.requested_by_id else None,
            reason=r.reason,
            received_at=r.received_at,
            due_at=r.due_at,
            completed_at=r.completed_at,
            steps=list(r.steps),
            error_code=r.error_code,
            export_ready=r.export_file is not None and r.export_downloaded_at is None,
            export_expires_at=r.export_expires_at,
        )


@strawberry.type(description="A single-use download link of an export.")
class PrivacyExportLink:
    url: str = strawberry.field(description="A path on this service; works once, until expiry.")
    expires_at: dt.datetime
