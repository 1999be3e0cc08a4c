from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import strawberry
from strawberry.scalars import JSON

from app.core.errors import DomainError, InvalidArgument
from app.graphql.context import Info
from app.graphql.enums import ChurnRisk, PredictionModelStatus
from app.models.prediction import PredictionModel
from app.predictions.figures import CustomerPredictions, check_horizon


@strawberry.type(
    name="PredictionModel",
    description="The organization's prediction model: BG/NBD (repeat purchases, probability "
    "still active) and Gamma-Gamma (value per order), fitted by maximum likelihood on the "
    "completed orders up to `asOf`, with time in weeks.",
)
class PredictionModelType:
    status: PredictionModelStatus
    reason_code: str | None = strawberry.field(
        description="Why there is no model (INELIGIBLE, FAILED): a stable code."
    )
    reason: str | None = strawberry.field(description="The same, for a person.")
    fitted_at: dt.datetime
    as_of: dt.datetime = strawberry.field(
        description="The moment the history was measured to; predictions run from it."
    )
    customers: int = strawberry.field(
        description="Customers with a completed order up to `asOf` (the BG/NBD sample)."
    )
    repeat_buyers: int = strawberry.field(
        description="Customers with purchases on two days or more (the Gamma-Gamma sample)."
    )
    parameters: JSON = strawberry.field(
        description='{"timeUnit": "weeks", "bgnbd": {r, alpha, a, b}, "gammaGamma": {p, q, '
        "v}}; empty without a model."
    )
    calibration: JSON | None = strawberry.field(
        description="The model fitted on the history before a cut-off and its predictions "
        "for the held-back period after it, against what happened: repeat purchases in total "
        "and by the number of repeat purchases before the cut-off. Null when the history is "
        "too short to hold a period back."
    )
    converged: bool = strawberry.field(
        description="Both fits converged. BG/NBD must, or there is no model (FAILED); a "
        "Gamma-Gamma fit that ended at its bounds (order values vary no more between "
        "customers than within) is used, flagged here and in `parameters.gammaGamma`."
    )
    log_likelihood: float | None = strawberry.field(
        description="Of the BG/NBD fit, summed over the customers."
    )

    @classmethod
    def from_model(cls, m: PredictionModel) -> PredictionModelType:
        return cls(
            status=m.status,
            reason_code=m.reason_code,
            reason=m.reason,
            fitted_at=m.fitted_at,
            as_of=m.as_of,
            customers=m.customers,
            repeat_buyers=m.repeat_buyers,
            parameters=cast(JSON, m.parameters),
            calibration=cast(JSON, m.calibration),
            converged=m.converged,
            log_likelihood=m.bgnbd_log_likelihood,
        )


async def _model_for(info: Info, days: int) -> PredictionModel | None:
    """The model other horizons are computed with, once `days` is known to be a horizon."""
    try:
        check_horizon(days, "days")
    except DomainError as exc:
        raise InvalidArgument(exc.message) from None
    organization_id = info.context.principal.organization_id
    return await info.context.loaders.prediction_models.load(organization_id)


@strawberry.type(
    name="CustomerPredictions",
    description="The customer's predictions from the organization's model, measured to the "
    "model's as-of moment (`modelFittedAt` tells which fit).",
)
class CustomerPredictionsType:
    figures: strawberry.Private[CustomerPredictions]

    @strawberry.field(description="Probability the customer is still active (0-1).")
    def probability_alive(self) -> Decimal:
        return self.figures.probability_alive

    @strawberry.field(description="The band of `probabilityAlive`.")
    def churn_risk(self) -> ChurnRisk:
        return self.figures.churn_risk

    @strawberry.field(description="When the model these figures come from was fitted.")
    def model_fitted_at(self) -> dt.datetime:
        return self.figures.fitted_at

    @strawberry.field(
        description="Orders (purchase days) expected in the `days` after the model's as-of "
        "moment, 1 to 3650. 90 is stored; other horizons are computed from the model's "
        "parameters (null if the model was refitted since these figures were written)."
    )
    async def expected_orders(self, info: Info, days: int = 90) -> Decimal | None:
        return self.figures.expected_orders(await _model_for(info, days), days)

    @strawberry.field(
        description="Spend expected in the `days` after the model's as-of moment: expected "
        "orders times the Gamma-Gamma expected order value, undiscounted. 365 is stored; "
        "other horizons (1 to 3650) are computed like `expectedOrders`."
    )
    async def expected_spend(self, info: Info, days: int = 365) -> Decimal | None:
        return self.figures.expected_spend(await _model_for(info, days), days)
