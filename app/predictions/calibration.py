"""How well the model predicted a held-back period: fit before a cut-off, compare after it.

The caller computes each customer's (x, t_x, T) from the orders before the cut-off (T: from the
first purchase to the cut-off) and counts the purchases in the holdout period
(cut-off, cut-off + t]. The comparison is the one of FHL 2005 (their figure 3): predicted and
actual repeat purchases in total and by the number of repeat purchases before the cut-off, 0 to 6
and 7 or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.predictions.arrays import (
    as_float_array,
    checked_weights,
    customer_arrays,
    weighted_sum,
)
from app.predictions.bgnbd import BgNbdFit, BgNbdParams, expected_purchases, fit_bgnbd

# Buckets of repeat purchases before the cut-off: 0..LAST_BUCKET-1 each, then LAST_BUCKET or more.
LAST_BUCKET = 7


@dataclass(frozen=True)
class CalibrationBucket:
    # "0".."6", or "7+".
    frequency: str
    customers: int
    # Repeat purchases in the holdout, summed over the bucket's customers.
    predicted: float
    actual: float


@dataclass(frozen=True)
class Calibration:
    # Length of the holdout period, in the time unit of the fit.
    holdout_length: float
    customers: int
    params: BgNbdParams
    log_likelihood: float
    converged: bool
    predicted_total: float
    actual_total: float
    # Mean over customers of |predicted - actual| holdout purchases.
    mean_absolute_error: float
    buckets: tuple[CalibrationBucket, ...]

    @property
    def relative_error(self) -> float | None:
        """(predicted - actual) / actual in total; None when nobody bought in the holdout."""
        if self.actual_total == 0:
            return None
        return (self.predicted_total - self.actual_total) / self.actual_total

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for a JSON column); `from_json` reads it back."""
        return {
            "holdoutLength": self.holdout_length,
            "customers": self.customers,
            "params": self.params.as_dict(),
            "logLikelihood": self.log_likelihood,
            "converged": self.converged,
            "predictedTotal": self.predicted_total,
            "actualTotal": self.actual_total,
            "relativeError": self.relative_error,
            "meanAbsoluteError": self.mean_absolute_error,
            "buckets": [
                {
                    "frequency": b.frequency,
                    "customers": b.customers,
                    "predicted": b.predicted,
                    "actual": b.actual,
                }
                for b in self.buckets
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            holdout_length=float(data["holdoutLength"]),
            customers=int(data["customers"]),
            params=BgNbdParams(**{k: float(v) for k, v in data["params"].items()}),
            log_likelihood=float(data["logLikelihood"]),
            converged=bool(data["converged"]),
            predicted_total=float(data["predictedTotal"]),
            actual_total=float(data["actualTotal"]),
            mean_absolute_error=float(data["meanAbsoluteError"]),
            buckets=tuple(
                CalibrationBucket(
                    frequency=str(b["frequency"]),
                    customers=int(b["customers"]),
                    predicted=float(b["predicted"]),
                    actual=float(b["actual"]),
                )
                for b in data["buckets"]
            ),
        )


def calibrate(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    holdout_purchases: npt.ArrayLike,
    holdout_length: float,
    *,
    weights: npt.ArrayLike | None = None,
) -> Calibration:
    """Fit BG/NBD on the data before the cut-off and compare its predictions with the holdout.

    `weights`: customers per row, as in `fit_bgnbd` (rows must then agree on the holdout
    purchases too). ValueError on malformed input, as the fit raises.
    """
    fit = fit_bgnbd(frequency, recency, age, weights=weights)
    return compare(fit, holdout_length, frequency, recency, age, holdout_purchases, weights=weights)


def compare(
    fit: BgNbdFit,
    holdout_length: float,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    holdout_purchases: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
) -> Calibration:
    """The comparison for an existing fit (made on the same pre-cut-off data)."""
    x, t_x, t = customer_arrays(frequency, recency, age)
    actual = as_float_array(holdout_purchases, "holdout_purchases")
    if actual.shape != x.shape:
        raise ValueError("holdout_purchases must have one entry per customer row")
    if np.any(actual < 0):
        raise ValueError("holdout_purchases must be ≥ 0")
    if not np.isfinite(holdout_length) or holdout_length <= 0:
        raise ValueError("holdout_length must be a positive length")
    w = checked_weights(weights, x.size)
    predicted = expected_purchases(fit.params, holdout_length, x, t_x, t)
    customers = float(w.sum())
    bucket_of = np.minimum(x, LAST_BUCKET).astype(np.int64)
    buckets = tuple(
        CalibrationBucket(
            frequency=str(k) if k < LAST_BUCKET else f"{LAST_BUCKET}+",
            customers=round(float(w[bucket_of == k].sum())),
            predicted=weighted_sum(w[bucket_of == k], predicted[bucket_of == k]),
            actual=weighted_sum(w[bucket_of == k], actual[bucket_of == k]),
        )
        for k in range(LAST_BUCKET + 1)
    )
    return Calibration(
        holdout_length=float(holdout_length),
        customers=round(customers),
        params=fit.params,
        log_likelihood=fit.log_likelihood,
        converged=fit.converged,
        predicted_total=weighted_sum(w, predicted),
        actual_total=weighted_sum(w, actual),
        mean_absolute_error=(
            weighted_sum(w, np.abs(predicted - actual)) / customers if customers else 0.0
        ),
        buckets=buckets,
    )
