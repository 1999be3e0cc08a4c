"""`segmentsRecompute`: staff ask a worker to recompute lifecycle stages and RFM segments."""

from __future__ import annotations

import datetime as dt

import strawberry

from app.core.errors import DomainError
from app.graphql.context import Info
from app.graphql.errors import SegmentError
from app.graphql.payloads import Payload
from app.lifecycle import service


@strawberry.type
class SegmentsRecomputePayload(Payload):
    requested: bool = strawberry.field(
        default=False,
        description="True when the recompute was asked for; a worker runs it within seconds "
        "and `Customer.lifecycleStage` and `rfm` then show its result.",
    )
    as_of: dt.datetime | None = strawberry.field(
        default=None,
        description="The moment stages and scores will be measured to (UTC); null: when the "
        "worker runs it.",
    )
    errors: list[SegmentError] = strawberry.field(default_factory=list)


@strawberry.type
class LifecycleMutations:
    @strawberry.mutation(
        description="Recompute every customer's lifecycle stage and RFM scores in the "
        "background, measured to `asOf` (default: now): orders placed after it are ignored. "
        "Refused with AS_OF_IN_FUTURE for a moment that has not happened; a time without an "
        "offset is UTC. The stored result holds until the next recompute (after orders, and "
        "nightly), which measures to now again."
    )
    async def segments_recompute(
        self, info: Info, as_of: dt.datetime | None = None
    ) -> SegmentsRecomputePayload:
        try:
            request = await service.request_recompute(info.context.principal, as_of)
        except DomainError as exc:
            return SegmentsRecomputePayload.failed(exc)
        return SegmentsRecomputePayload(requested=True, as_of=request.as_of)
