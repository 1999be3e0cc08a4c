"""Churn risk bands from the probability of being active; whether a model can be fitted at all."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# The bands are the customer's stored column: one enum for the model, the row and the API.
from app.models.customer import ChurnRisk
from app.predictions.arrays import FloatArray, as_float_array, checked_weights

__all__ = ["ChurnRisk", "churn_risk", "churn_risks", "eligibility"]


# P(alive) ≥ LOW_RISK_FROM: the customer is probably still buying (at least 7 in 10 customers with
# this history are). Below HIGH_RISK_BELOW: probably gone (7 in 10 or more have dropped out), a
# win-back target. In between: MEDIUM. Symmetric around even odds, so the bands read as "likely
# active", "uncertain", "likely lapsed".
LOW_RISK_FROM = 0.7
HIGH_RISK_BELOW = 0.3

# Too little history to fit: the four BG/NBD parameters need enough customers, and the drop-out
# distribution (a, b) is identified only by customers with repeat purchases (a single purchase
# says nothing about dropping out). Below these counts estimates swing from fit to fit.
MIN_CUSTOMERS = 200
MIN_REPEAT_BUYERS = 50


def churn_risk(probability_alive: float) -> ChurnRisk:
    """The band of one probability of being active."""
    if not 0.0 <= probability_alive <= 1.0:
        raise ValueError("a probability must lie between 0 and 1")
    if probability_alive >= LOW_RISK_FROM:
        return ChurnRisk.LOW
    if probability_alive < HIGH_RISK_BELOW:
        return ChurnRisk.HIGH
    return ChurnRisk.MEDIUM


def churn_risks(probability_alive: npt.ArrayLike) -> npt.NDArray[np.str_]:
    """The bands of many probabilities, as an array of ChurnRisk values (strings)."""
    p: FloatArray = as_float_array(probability_alive, "probability_alive")
    if np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("a probability must lie between 0 and 1")
    bands = np.full(p.shape, ChurnRisk.MEDIUM.value, dtype="<U6")
    bands[p >= LOW_RISK_FROM] = ChurnRisk.LOW.value
    bands[p < HIGH_RISK_BELOW] = ChurnRisk.HIGH.value
    return bands


def eligibility(frequency: npt.ArrayLike, *, weights: npt.ArrayLike | None = None) -> str | None:
    """Why no model can be fitted on customers with these repeat-purchase counts; None if one can.

    `weights` as in the fits (customers per row). The reason names the threshold and the count.
    """
    x = as_float_array(frequency, "frequency")
    w = checked_weights(weights, x.size)
    customers = round(float(w.sum()))
    repeat_buyers = round(float(w[x > 0].sum()))
    reasons: list[str] = []
    if customers < MIN_CUSTOMERS:
        reasons.append(
            f"At least {MIN_CUSTOMERS} customers with an order are needed;"
            f" the organization has {customers}."
        )
    if repeat_buyers < MIN_REPEAT_BUYERS:
        reasons.append(
            f"At least {MIN_REPEAT_BUYERS} customers with a repeat order are needed;"
            f" the organization has {repeat_buyers}."
        )
    return " ".join(reasons) if reasons else None
