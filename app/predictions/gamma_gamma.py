"""Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): the value of a customer's orders.

Each order of a customer is worth Gamma(p, ν) (shape p, rate ν); ν ~ Gamma(q, γ) across customers
(γ, a money amount, is called `v` here). Fitted on customers with repeat orders only: x ≥ 1 repeat
orders with mean value m̄ > 0 (the model assumes spend independent of purchase frequency).

Log-likelihood of m̄ for one customer (the density of the mean of x orders, integrated over ν):
  -log B(px, q) + q·log(γ/(γ+x·m̄)) + px·log(x·m̄/(γ+x·m̄)) - log m̄
with both logs as log1p so that nothing cancels. Parameters are fitted in log space within bounds,
with money divided by the mean m̄ (unit-free bounds for γ). q is kept above 1: the population mean
spend γp/(q-1), which is the prediction for a customer without repeat orders, is finite only then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, digamma

from app.predictions.arrays import (
    FloatArray,
    as_float_array,
    checked_weights,
    group_identical,
    weighted_sum,
)
from app.predictions.bgnbd import BgNbdParams, expected_purchases
from app.predictions.optimize import fit_log_parameters

# (p, q - 1, v / mean spend); the fit works on log p, log(q - 1), log(v / mean spend).
STARTS = ((1.0, 1.0, 1.0), (6.0, 2.7, 4.0))


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def population_mean(self) -> float:
        """Expected value of an order of a customer about whom nothing is known: vp/(q-1)."""
        return self.v * self.p / (self.q - 1.0) if self.q > 1.0 else float("inf")


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    log_likelihood: float
    converged: bool
    iterations: int
    # Customers fitted: those with repeat orders and a positive mean value (sum of the weights).
    customers: int


def fit_gamma_gamma(
    frequency: npt.ArrayLike,
    monetary_mean: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters from (x, m̄) of each customer.

    Rows with x = 0 or m̄ = 0 are left out (their m̄ may be anything, NaN included). ValueError on
    malformed input or when no customer has a repeat order with a positive value.
    """
    x, m = _spend_arrays(frequency, monetary_mean)
    w = checked_weights(weights, x.size)
    used = (x > 0) & (m > 0)
    (x, m), w = group_identical((x[used], m[used]), w[used])
    total = float(w.sum())
    if total == 0:
        raise ValueError("no customer has a repeat order with a positive value")
    scale = weighted_sum(w, m) / total
    share = w / total
    m_scaled = m / scale

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q_minus_one, v = np.exp(theta)
        q = 1.0 + q_minus_one
        ll = _log_likelihood_rows(p, q, v, x, m_scaled)
        d_p, d_q, d_v = _gradient_rows(p, q, v, x, m_scaled)
        grad = np.array(
            [
                weighted_sum(share, d_p) * p,
                weighted_sum(share, d_q) * q_minus_one,
                weighted_sum(share, d_v) * v,
            ]
        )
        return -weighted_sum(share, ll), -grad

    optimum = fit_log_parameters(objective, STARTS)
    p, q_minus_one, v_scaled = (float(value) for value in np.exp(optimum.theta))
    params = GammaGammaParams(p=p, q=1.0 + q_minus_one, v=v_scaled * scale)
    ll_total = weighted_sum(w, _log_likelihood_rows(params.p, params.q, params.v, x, m))
    return GammaGammaFit(
        params=params,
        log_likelihood=ll_total,
        converged=optimum.converged and bool(np.isfinite(ll_total)),
        iterations=optimum.iterations,
        customers=round(total),
    )


def log_likelihood(
    params: GammaGammaParams, frequency: npt.ArrayLike, monetary_mean: npt.ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood of m̄; NaN for customers without repeat orders."""
    x, m = _spend_arrays(frequency, monetary_mean)
    used = (x > 0) & (m > 0)
    out = np.full(x.size, np.nan)
    out[used] = _log_likelihood_rows(params.p, params.q, params.v, x[used], m[used])
    return out


def expected_average_value(
    params: GammaGammaParams, frequency: npt.ArrayLike, monetary_mean: npt.ArrayLike
) -> FloatArray:
    """E[value of an order | x, m̄] = (γ + x·m̄)·p / (p·x + q - 1).

    A weighted average of the population mean γp/(q-1) and the customer's own m̄, the weight of m̄
    growing with x; for x = 0 it is the population mean (m̄ is ignored there, NaN allowed).
    """
    x, m = _spend_arrays(frequency, monetary_mean)
    own = np.where(x > 0, x * m, 0.0)
    return np.asarray(
        (params.v + own) * params.p / (params.p * x + params.q - 1.0), dtype=np.float64
    )


def expected_spend(
    bgnbd_params: BgNbdParams,
    gg_params: GammaGammaParams,
    t: float | npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    monetary_mean: npt.ArrayLike,
) -> FloatArray:
    """Expected spend in (T, T+t]: expected purchases (BG/NBD) × expected order value (Gamma-Gamma).

    Undiscounted: a lifetime value over a horizon of t, in the money unit of `monetary_mean`. The
    product is valid because the model takes order values to be independent of the purchase process.
    """
    purchases = expected_purchases(bgnbd_params, t, frequency, recency, age)
    return purchases * expected_average_value(gg_params, frequency, monetary_mean)


def _spend_arrays(
    frequency: npt.ArrayLike, monetary_mean: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    x = as_float_array(frequency, "frequency")
    m = np.asarray(monetary_mean, dtype=np.float64).reshape(-1)
    if m.shape != x.shape:
        raise ValueError("frequency and monetary_mean must have the same length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be whole numbers ≥ 0 (repeat purchases)")
    repeat = x > 0
    if not np.all(np.isfinite(m[repeat])) or np.any(m[repeat] < 0):
        raise ValueError(
            "monetary_mean must be a finite amount ≥ 0 for customers with repeat orders"
        )
    return x, m


def _log_likelihood_rows(p: float, q: float, v: float, x: FloatArray, m: FloatArray) -> FloatArray:
    spent = x * m
    return np.asarray(
        -betaln(p * x, q) - q * np.log1p(spent / v) - p * x * np.log1p(v / spent) - np.log(m),
        dtype=np.float64,
    )


def _gradient_rows(
    p: float, q: float, v: float, x: FloatArray, m: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    spent = x * m
    both = digamma(p * x + q)
    d_p = x * (both - digamma(p * x)) - x * np.log1p(v / spent)
    d_q = both - digamma(q) - np.log1p(spent / v)
    d_v = q / v - (p * x + q) / (v + spent)
    return d_p, d_q, d_v
