"""A customer's predictions: the figures stored by the last refit, and other horizons
computed on the fly from the model's parameters and the purchase history the model saw for the
customer (kept on the row), so they agree exactly with the stored ones at the stored horizons.

All of them are measured to the model's as-of moment: probability alive then, orders expected
over the 90 days and spend over the 365 days after it. Pure: no database, no permission (the
GraphQL field reads the customer through the customer service).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.core.errors import DomainError
from app.models.customer import ChurnRisk, Customer
from app.models.prediction import PredictionModel, PredictionModelStatus
from app.predictions import bgnbd, gamma_gamma
from app.predictions.errors import PredictionErrorCode
from app.predictions.refit import ORDERS_HORIZON_DAYS, SPEND_HORIZON_DAYS, weeks

# Ten years: beyond that a "customer lifetime" figure says more about the model than the data.
MAX_HORIZON_DAYS = 3650
_CENT = Decimal("0.01")
_ORDERS = Decimal("0.0001")


def _bgnbd_params(model: PredictionModel) -> bgnbd.BgNbdParams:
    p: dict[str, Any] = model.parameters["bgnbd"]
    return bgnbd.BgNbdParams(r=p["r"], alpha=p["alpha"], a=p["a"], b=p["b"])


def _gamma_gamma_params(model: PredictionModel) -> gamma_gamma.GammaGammaParams:
    p: dict[str, Any] = model.parameters["gammaGamma"]
    return gamma_gamma.GammaGammaParams(p=p["p"], q=p["q"], v=p["v"])


def check_horizon(days: int, field: str) -> int:
    if not 1 <= days <= MAX_HORIZON_DAYS:
        raise DomainError(
            PredictionErrorCode.HORIZON_OUT_OF_RANGE,
            f"The horizon must be between 1 and {MAX_HORIZON_DAYS} days.",
            field,
        )
    return days


@dataclass(frozen=True)
class CustomerPredictions:
    """One customer's figures, measured to `as_of` (the model's)."""

    probability_alive: Decimal
    churn_risk: ChurnRisk
    fitted_at: dt.datetime
    frequency: int
    recency_days: int
    age_days: int
    monetary_mean: Decimal | None
    orders_90d: Decimal
    spend_365d: Decimal

    @classmethod
    def of(cls, customer: Customer) -> CustomerPredictions | None:
        c = customer
        if (
            c.predicted_probability_alive is None
            or c.churn_risk is None
            or c.predicted_at is None
            or c.prediction_frequency is None
            or c.prediction_recency_days is None
            or c.prediction_age_days is None
            or c.predicted_orders_90d is None
            or c.predicted_spend_365d is None
        ):
            return None
        return cls(
            probability_alive=c.predicted_probability_alive,
            churn_risk=c.churn_risk,
            fitted_at=c.predicted_at,
            frequency=c.prediction_frequency,
            recency_days=c.prediction_recency_days,
            age_days=c.prediction_age_days,
            monetary_mean=c.prediction_monetary_mean,
            orders_90d=c.predicted_orders_90d,
            spend_365d=c.predicted_spend_365d,
        )

    def _history(self) -> tuple[float, float, float]:
        return (
            float(self.frequency),
            float(weeks(self.recency_days)),
            float(weeks(self.age_days)),
        )

    def expected_orders(self, model: PredictionModel | None, days: int) -> Decimal | None:
        """Orders expected in the `days` after the model's as-of moment: stored for 90 days,
        computed from the model's parameters for any other horizon (None when the model the
        figures came from has been replaced meanwhile)."""
        if days == ORDERS_HORIZON_DAYS:
            return self.orders_90d
        if not _same_fit(model, self):
            return None
        assert model is not None
        (value,) = bgnbd.expected_purchases(_bgnbd_params(model), weeks(days), *self._history())
        return Decimal(str(float(value))).quantize(_ORDERS)

    def expected_spend(self, model: PredictionModel | None, days: int) -> Decimal | None:
        """Spend expected in the `days` after the model's as-of moment: expected orders times
        the Gamma-Gamma expected order value (no discounting)."""
        if days == SPEND_HORIZON_DAYS:
            return self.spend_365d
        if not _same_fit(model, self):
            return None
        assert model is not None
        x, t_x, age = self._history()
        (value,) = gamma_gamma.expected_spend(
            _bgnbd_params(model),
            _gamma_gamma_params(model),
            weeks(days),
            x,
            t_x,
            age,
            float(self.monetary_mean or 0),
        )
        return Decimal(str(float(value))).quantize(_CENT)


def _same_fit(model: PredictionModel | None, figures: CustomerPredictions) -> bool:
    return (
        model is not None
        and model.status == PredictionModelStatus.FITTED
        and model.fitted_at == figures.fitted_at
    )
