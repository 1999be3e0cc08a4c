"""The `predictions` field the prediction work adds to the Customer type."""

from __future__ import annotations

import strawberry

from app.graphql.predictions.types import CustomerPredictionsType
from app.models.customer import Customer
from app.predictions.figures import CustomerPredictions


@strawberry.type
class CustomerPredictionFields:
    model: strawberry.Private[Customer]

    @strawberry.field(
        description="Churn risk, probability still active, expected orders and spend; null "
        "when the organization's model did not score the customer (no completed order up to "
        "its as-of moment, or no model: see `predictionModel`)."
    )
    def predictions(self) -> CustomerPredictionsType | None:
        figures = CustomerPredictions.of(self.model)
        return CustomerPredictionsType(figures=figures) if figures is not None else None
