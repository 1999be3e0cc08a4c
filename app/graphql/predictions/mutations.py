"""`predictionModelRefit`: staff ask a worker to refit the organization's prediction model."""

from __future__ import annotations

import datetime as dt

import strawberry

from app.core.errors import DomainError
from app.graphql.context import Info
from app.graphql.errors import PredictionError
from app.graphql.payloads import Payload
from app.predictions import service


@strawberry.type
class PredictionModelRefitPayload(Payload):
    requested: bool = strawberry.field(
        default=False,
        description="True when the refit was asked for; a worker runs it soon, and "
        "`predictionModel` and `Customer.predictions` then show its result. Asking again "
        "while one waits or runs changes nothing (one job per organization).",
    )
    as_of: dt.datetime | None = strawberry.field(
        default=None,
        description="The moment the history will be measured to (UTC); null: when the "
        "worker runs it.",
    )
    errors: list[PredictionError] = strawberry.field(default_factory=list)


@strawberry.type
class PredictionMutations:
    @strawberry.mutation(
        description="Refit the organization's prediction model (BG/NBD and Gamma-Gamma) in "
        "the background and rewrite every customer's predictions, from the completed orders "
        "placed up to `asOf` (default: now). Refused with AS_OF_IN_FUTURE for a moment that "
        "has not happened; a time without an offset is UTC. The nightly refit measures to "
        "now again."
    )
    async def prediction_model_refit(
        self, info: Info, as_of: dt.datetime | None = None
    ) -> PredictionModelRefitPayload:
        try:
            request = await service.request_refit(info.context.principal, as_of)
        except DomainError as exc:
            return PredictionModelRefitPayload.failed(exc)
        return PredictionModelRefitPayload(requested=True, as_of=request.as_of)
