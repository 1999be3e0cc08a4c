from __future__ import annotations

import strawberry

from app.graphql.context import Info
from app.graphql.predictions.types import PredictionModelType
from app.predictions import service


@strawberry.type
class PredictionQueries:
    @strawberry.field(
        description="The organization's prediction model: when and to which moment it was "
        "fitted, on how many customers, its parameters and its calibration; or why there is "
        "none (status INELIGIBLE or FAILED with a reason). Null before the first refit."
    )
    async def prediction_model(self, info: Info) -> PredictionModelType | None:
        found = await service.current_model(info.context.principal)
        return PredictionModelType.from_model(found) if found is not None else None
