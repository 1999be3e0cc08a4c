"""Draws from the BG/NBD and Gamma-Gamma processes, for tests, calibration checks and benchmarks.

Vectorized, without walking purchase by purchase: a customer's repeat purchases up to age T are
min(N, J), N ~ Poisson(λT) the purchases an immortal customer would make and J ~ Geometric(p) the
repeat purchase after which they drop out. Given N = n, purchase times are n uniform order
statistics on (0, T], so the time of the x-th is T·Beta(x, n-x+1). A customer still active at T
(J > N) continues in the holdout (T, T+t] with Poisson(λt) purchases, cut at the J-N purchases
they have left (memoryless: J-N is again Geometric(p)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.predictions.arrays import FloatArray, as_float_array
from app.predictions.bgnbd import BgNbdParams
from app.predictions.gamma_gamma import GammaGammaParams

# Beta draws of p can underflow to 0, for which a geometric draw is undefined.
_SMALLEST_DROPOUT = 1e-12


@dataclass(frozen=True)
class SimulatedCustomers:
    frequency: FloatArray
    recency: FloatArray
    age: FloatArray
    # Repeat purchases in (T, T+holdout]; None when no holdout was asked for.
    holdout_purchases: FloatArray | None
    # The latent draws, for checks against the truth.
    rate: FloatArray
    dropout: FloatArray
    alive: FloatArray


def simulate_bgnbd(
    params: BgNbdParams,
    ages: npt.ArrayLike,
    *,
    holdout: float | None = None,
    rng: np.random.Generator,
) -> SimulatedCustomers:
    """One customer per entry of `ages` (time since their first purchase, in the params' unit)."""
    t = as_float_array(ages, "ages")
    if np.any(t < 0):
        raise ValueError("ages must be ≥ 0")
    n = t.size
    rate = rng.gamma(params.r, 1.0 / params.alpha, n)
    dropout = np.clip(rng.beta(params.a, params.b, n), _SMALLEST_DROPOUT, 1.0)
    lifetime_purchases = rng.geometric(dropout).astype(np.float64)
    immortal = rng.poisson(rate * t).astype(np.float64)
    x = np.minimum(immortal, lifetime_purchases)
    repeat = x > 0
    # The x-th of `immortal` uniform purchase times; Beta(x, n-x+1) needs x ≥ 1.
    position = rng.beta(np.where(repeat, x, 1.0), np.where(repeat, immortal - x + 1.0, 1.0))
    recency = np.where(repeat, t * position, 0.0)
    alive = lifetime_purchases > immortal
    holdout_purchases: FloatArray | None = None
    if holdout is not None:
        if not np.isfinite(holdout) or holdout < 0:
            raise ValueError("holdout must be a finite length ≥ 0")
        later = rng.poisson(rate * holdout).astype(np.float64)
        remaining = rng.geometric(dropout).astype(np.float64)
        holdout_purchases = np.where(alive, np.minimum(later, remaining), 0.0)
    return SimulatedCustomers(
        frequency=x,
        recency=recency,
        age=t,
        holdout_purchases=holdout_purchases,
        rate=rate,
        dropout=dropout,
        alive=alive.astype(np.float64),
    )


def simulate_spend(
    params: GammaGammaParams, frequency: npt.ArrayLike, *, rng: np.random.Generator
) -> FloatArray:
    """Mean value of each customer's x repeat orders; NaN where x = 0 (no repeat order).

    ν ~ Gamma(q, rate γ) per customer, each order ~ Gamma(p, rate ν), so the mean of x orders is
    Gamma(p·x, rate x·ν).
    """
    x = as_float_array(frequency, "frequency")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be whole numbers ≥ 0")
    nu = rng.gamma(params.q, 1.0 / params.v, x.size)
    repeat = x > 0
    shape = np.where(repeat, params.p * x, 1.0)
    mean = rng.gamma(shape, 1.0 / (np.where(repeat, x, 1.0) * nu))
    return np.where(repeat, mean, np.nan)
