"""BG/NBD (Fader, Hardie & Lee 2005): repeat purchases and the probability a customer is active.

The model: while active, a customer buys at Poisson rate λ, λ ~ Gamma(r, α) across customers;
after each repeat purchase they drop out for good with probability p, p ~ Beta(a, b). Per customer
the data are x (repeat purchases: orders after the first), t_x (time of the last purchase since the
first; 0 when x = 0) and T (age: time from the first purchase to the as-of date).

Time unit: whatever the caller uses, consistently for t_x, T, the horizon t and hence α (a rate
scale in that unit). The service uses weeks, as the paper does (CDNOW: α = 4.414 weeks).

Numerics (DESIGN.md section 4). The likelihood is written so that nothing cancels:
- B(a, b+x)/B(a, b) = Π_{i<x} (b+i)/(a+b+i) is a running sum of -log1p(a/(b+i)), not
  `betaln(a, b+x) - betaln(a, b)`, whose difference of two huge numbers loses every digit when the
  optimizer wanders to large a, b and yields a false optimum with a positive log-likelihood;
- Γ(r+x)/Γ(r) is a running sum of log(r+i), and α^r/(α+T)^r is -r·log1p(T/α);
- the two-part likelihood is combined in log space (softplus), sharing its ratio with P(alive).
The optimizer works on log-parameters within bounds, with the analytic gradient, on times divided
by the mean age (so α's bounds are unit-free), from several starts; `converged` is False when
L-BFGS-B did not finish or an optimum presses against a bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import betaincinv, betaln, digamma, expit, gammaln, hyp2f1

from app.predictions.arrays import (
    FloatArray,
    checked_weights,
    customer_arrays,
    group_identical,
    weighted_sum,
)
from app.predictions.optimize import fit_log_parameters

# Starting points (r, alpha / mean age, a, b): a neutral one, and one near published fits.
STARTS = ((1.0, 1.0, 1.0, 1.0), (0.25, 0.15, 0.8, 2.5))

# The conditional expectation has removable singularities (at a = 1, and at a + b = 1 for
# customers without repeat purchases): within this distance of one it is evaluated on both sides
# and averaged, which is exact to first order.
NEAR_SINGULAR = 1e-6

# Beyond this a, scipy's 2F1 with the expectation's parameters returns NaN or worse (a sweep over
# the fit's bounds found the first failure at a ≈ 340); `_expected_by_quantiles` is used instead.
HYPERGEOMETRIC_MAX_A = 250.0
# Quantiles of the drop-out probability that fallback averages over: its error is ~1e-5 relative
# for the large a it serves (checked against 8,192 quantiles and against 2F1 where both work).
FALLBACK_QUANTILES = 512

# Repeat purchases up to which the x-dependent likelihood terms are running sums (exact for any
# a, b); beyond, closed forms (see `_frequency_tables`). Bounds the work per evaluation.
RUNNING_SUM_LIMIT = 10_000


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    # Σ over customers of the log-likelihood at the fitted parameters, in the caller's time unit.
    log_likelihood: float
    converged: bool
    # L-BFGS-B iterations, summed over the starts.
    iterations: int
    # Customers fitted (the sum of the weights).
    customers: int


def fit_bgnbd(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
) -> BgNbdFit:
    """Maximum-likelihood BG/NBD parameters for customers (x, t_x, T).

    `weights[i]` is how many customers row i stands for (rows are grouped again here, so passing
    one row per customer also works, only slower to sort). Raises ValueError on malformed input
    (see `customer_arrays`) or when there are no customers or every age is 0.
    """
    x, t_x, t = customer_arrays(frequency, recency, age)
    w = checked_weights(weights, x.size)
    (x, t_x, t), w = group_identical((x, t_x, t), w)
    total = float(w.sum())
    if total == 0:
        raise ValueError("no customers to fit")
    scale = weighted_sum(w, t) / total
    if scale <= 0:
        raise ValueError("every customer has age 0: there is no purchase history to fit")
    data = _Data.of(x, t_x / scale, t / scale, w / total)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ll, grad = _log_likelihood_terms(r, alpha, a, b, data, gradient=True)
        assert grad is not None
        # The gradient with respect to log-parameters: chain rule, ∂/∂log θ = θ·∂/∂θ.
        return -float(ll), -grad * np.exp(theta)

    optimum = fit_log_parameters(objective, STARTS)
    r, alpha_scaled, a, b = (float(v) for v in np.exp(optimum.theta))
    params = BgNbdParams(r=r, alpha=alpha_scaled * scale, a=a, b=b)
    per_row = log_likelihood(params, x, t_x, t)
    ll_total = weighted_sum(w, per_row)
    return BgNbdFit(
        params=params,
        log_likelihood=ll_total,
        converged=optimum.converged and bool(np.isfinite(ll_total)),
        iterations=optimum.iterations,
        customers=round(total),
    )


def log_likelihood(
    params: BgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
) -> FloatArray:
    """Per-customer log-likelihood of (x, t_x, T) under `params`."""
    x, t_x, t = customer_arrays(frequency, recency, age)
    data = _Data.of(x, t_x, t, None)
    per_row, _ = _log_likelihood_terms(
        params.r, params.alpha, params.a, params.b, data, gradient=False, per_row=True
    )
    return per_row


def probability_alive(
    params: BgNbdParams, frequency: npt.ArrayLike, recency: npt.ArrayLike, age: npt.ArrayLike
) -> FloatArray:
    """P(still active at T | x, t_x, T); exactly 1 for x = 0 (no repeat purchase, no drop-out)."""
    x, t_x, t = customer_arrays(frequency, recency, age)
    log_odds = _dropout_log_odds(params.r, params.alpha, params.a, params.b, x, t_x, t)
    return np.asarray(expit(-log_odds), dtype=np.float64)


def expected_purchases(
    params: BgNbdParams,
    t: float | npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    age: npt.ArrayLike,
) -> FloatArray:
    """E[purchases in (T, T+t] | x, t_x, T] (FHL 2005, eq. 10); `t` a scalar or one per customer.

    Eq. 10 holds (α+T)/(α+T+t) to the power r+x times 2F1(r+x, b+x; a+b+x-1; z), which overflows
    for frequent buyers; Euler's transformation turns the product into
    (1-z)^(a-1)·2F1(a+b-1-r, a-1; a+b+x-1; z), whose upper parameters do not grow with x.
    """
    x, t_x, age_ = customer_arrays(frequency, recency, age)
    horizon = np.broadcast_to(np.asarray(t, dtype=np.float64), x.shape)
    if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        raise ValueError("the horizon t must be a finite number ≥ 0")
    alive = expit(-_dropout_log_odds(params.r, params.alpha, params.a, params.b, x, t_x, age_))
    return np.asarray(_expected_if_alive(params, horizon, x, age_) * alive, dtype=np.float64)


def expected_purchases_new(params: BgNbdParams, t: float | npt.ArrayLike) -> FloatArray | float:
    """E[X(t)]: expected repeat purchases in (0, t] of a customer who just made a first purchase."""
    horizon = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(horizon)) or np.any(horizon < 0):
        raise ValueError("the horizon t must be a finite number ≥ 0")
    flat = horizon.reshape(-1)
    zeros = np.zeros_like(flat)
    values = _expected_if_alive(params, flat, zeros, zeros)
    if horizon.ndim == 0:
        return float(values[0])
    return values.reshape(horizon.shape)


def _expected_if_alive(
    params: BgNbdParams, horizon: FloatArray, x: FloatArray, age: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t]] of a customer known to be active at T (eq. 10 without P(alive)).

    Two removable singularities are evaluated on both sides and averaged (exact to first order):
    a = 1 (0/0) and a + b = 1 for x = 0 (2F1's lower parameter a + b + x - 1 is 0: 0·∞).
    Where scipy's 2F1 is out of its depth (a very large: the drop-out probability is nearly the
    same for everyone) or returns an impossible value, quantiles of p take over.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if a > HYPERGEOMETRIC_MAX_A:
        return _expected_by_quantiles(r, alpha, a, b, horizon, x, age)
    if abs(a - 1.0) < NEAR_SINGULAR:
        below = _transformed_expectation(r, alpha, 1.0 - NEAR_SINGULAR, b, horizon, x, age)
        above = _transformed_expectation(r, alpha, 1.0 + NEAR_SINGULAR, b, horizon, x, age)
        value = (below + above) / 2
    elif abs(a + b - 1.0) < NEAR_SINGULAR:
        below = _transformed_expectation(r, alpha, a, 1.0 - a - NEAR_SINGULAR, horizon, x, age)
        above = _transformed_expectation(r, alpha, a, 1.0 - a + NEAR_SINGULAR, horizon, x, age)
        value = (below + above) / 2
    else:
        value = _transformed_expectation(r, alpha, a, b, horizon, x, age)
    # An active customer buys at most at their expected rate: (r+x)/(alpha+T) per unit of time.
    ceiling = (r + x) * horizon / (alpha + age)
    impossible = ~np.isfinite(value) | (value < 0) | (value > ceiling * (1 + 1e-9))
    if np.any(impossible):
        value[impossible] = _expected_by_quantiles(
            r, alpha, a, b, horizon[impossible], x[impossible], age[impossible]
        )
    return value


def _expected_by_quantiles(
    r: float,
    alpha: float,
    a: float,
    b: float,
    horizon: FloatArray,
    x: FloatArray,
    age: FloatArray,
) -> FloatArray:
    """The same expectation by integrating over the drop-out probability p, without 2F1.

    Given activity at T, λ ~ Gamma(r+x, α+T) and p ~ Beta(a, b+x) independently, and an active
    customer buys (1 - e^(-λpt))/p in t; averaging over λ gives
    g(p) = (1 - (1 + pt/(α+T))^-(r+x)) / p, which is bounded and smooth in p. Its mean over p is
    the midpoint rule over FALLBACK_QUANTILES equally likely quantiles of Beta(a, b+x)
    (`betaincinv`, reliable where 2F1 is not). Rows are grouped by (x, T, t) first.
    """
    rows = np.stack([x, age, horizon], axis=1)
    distinct, row_of = np.unique(rows, axis=0, return_inverse=True)
    values = np.empty(len(distinct), dtype=np.float64)
    levels = (np.arange(FALLBACK_QUANTILES) + 0.5) / FALLBACK_QUANTILES
    for frequency in np.unique(distinct[:, 0]):
        p = betaincinv(a, b + frequency, levels)[np.newaxis, :]
        members = np.flatnonzero(distinct[:, 0] == frequency)
        for start in range(0, members.size, 1024):
            chunk = members[start : start + 1024]
            scale = (distinct[chunk, 2] / (alpha + distinct[chunk, 1]))[:, np.newaxis]
            shape = r + frequency
            with np.errstate(divide="ignore", invalid="ignore"):
                g = -np.expm1(-shape * np.log1p(p * scale)) / p
            g = np.where(p > 0, g, shape * scale)
            values[chunk] = g.mean(axis=1)
    return np.asarray(values[row_of.reshape(-1)], dtype=np.float64)


def _transformed_expectation(
    r: float,
    alpha: float,
    a: float,
    b: float,
    horizon: FloatArray,
    x: FloatArray,
    age: FloatArray,
) -> FloatArray:
    z = horizon / (alpha + age + horizon)
    # Overflow or NaN here is caught by the caller's plausibility check, which recomputes.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        one_minus_z_pow = np.exp((a - 1.0) * np.log1p(-z))
        hyper = hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        value = (a + b + x - 1.0) / (a - 1.0) * (1.0 - one_minus_z_pow * hyper)
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True)
class _Data:
    """Customers ready for repeated likelihood evaluations.

    Every term in α depends on T or t_x alone, and ages and recencies take few distinct values
    (days, in weeks), so logs and reciprocals are computed once per distinct value and gathered:
    the per-row work left is a few multiplications and one softplus.
    """

    x: FloatArray
    # Each row's entry in the tables of `_frequency_tables`: x itself up to `running_limit`,
    # then the position of x among `beyond`, the larger frequencies.
    lookup: npt.NDArray[np.intp]
    running_limit: int
    beyond: FloatArray
    repeat: npt.NDArray[np.bool_]
    ages: FloatArray
    age_of: npt.NDArray[np.intp]
    lasts: FloatArray
    last_of: npt.NDArray[np.intp]
    # Each row's share of the customers; None for per-row results.
    share: FloatArray | None

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, t: FloatArray, share: FloatArray | None) -> _Data:
        ages, age_of = np.unique(t, return_inverse=True)
        lasts, last_of = np.unique(t_x, return_inverse=True)
        lookup = x.astype(np.intp)
        running_limit = min(int(lookup.max()) if lookup.size else 0, RUNNING_SUM_LIMIT)
        big = lookup > running_limit
        beyond, position = np.unique(x[big], return_inverse=True)
        lookup[big] = running_limit + 1 + position
        return cls(x, lookup, running_limit, beyond, x > 0, ages, age_of, lasts, last_of, share)


def _dropout_log_odds(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, t: FloatArray
) -> FloatArray:
    """log of a/(b+x-1)·((α+T)/(α+t_x))^(r+x): the odds that a customer has dropped out.

    -inf for x = 0, where dropping out is impossible (it happens only after a repeat purchase).
    """
    repeat = x > 0
    previous = np.where(repeat, x - 1.0, 0.0)
    log_odds = np.log(a) - np.log(b + previous) + (r + x) * np.log1p((t - t_x) / (alpha + t_x))
    return np.where(repeat, log_odds, -np.inf)


def _frequency_tables(r: float, a: float, b: float, data: _Data) -> dict[str, FloatArray]:
    """The terms that depend on x alone, one table entry per frequency (gathered by
    `data.lookup`): log Γ(r+x)/Γ(r), log B(a,b+x)/B(a,b), the prior part of the drop-out
    log-odds, and their derivatives.

    For x up to RUNNING_SUM_LIMIT the entries are running sums over i < x, which cannot cancel.
    The rare frequencies beyond (a placeholder "walk-in" account with a million orders) get
    gammaln/digamma differences, appended after them; their cancellation is bounded because
    the parameters are.
    """
    i = np.arange(data.running_limit, dtype=np.float64)
    # x - 1 for x = 0..limit (0 for x = 0, whose drop-out terms are never used).
    previous = np.concatenate(([0.0], i))

    def cumulative(terms: FloatArray) -> FloatArray:
        out = np.zeros(data.running_limit + 1, dtype=np.float64)
        np.cumsum(terms, out=out[1:])
        return out

    tables = {
        "log_gamma_ratio": cumulative(np.log(r + i)),
        "d_r": cumulative(1.0 / (r + i)),
        "log_beta_ratio": cumulative(-np.log1p(a / (b + i))),
        "d_a": cumulative(-1.0 / (a + b + i)),
        "d_b": cumulative(a / ((b + i) * (a + b + i))),
        "odds_prior": np.log(a) - np.log(b + previous),
        "odds_d_b": -1.0 / (b + previous),
    }
    if data.beyond.size:
        x = data.beyond
        d_a = digamma(a + b) - digamma(a + b + x)
        beyond = {
            "log_gamma_ratio": gammaln(r + x) - gammaln(r),
            "d_r": digamma(r + x) - digamma(r),
            "log_beta_ratio": betaln(a, b + x) - betaln(a, b),
            "d_a": d_a,
            "d_b": digamma(b + x) - digamma(b) + d_a,
            "odds_prior": np.log(a) - np.log(b + x - 1.0),
            "odds_d_b": -1.0 / (b + x - 1.0),
        }
        tables = {name: np.concatenate((table, beyond[name])) for name, table in tables.items()}
    return tables


def _log_likelihood_terms(
    r: float,
    alpha: float,
    a: float,
    b: float,
    data: _Data,
    *,
    gradient: bool,
    per_row: bool = False,
) -> tuple[FloatArray, FloatArray | None]:
    """The weighted mean log-likelihood (and its gradient in r, α, a, b), or per-row values.

    log L = log Γ(r+x)/Γ(r) + log B(a,b+x)/B(a,b) - r·log1p(T/α) - x·log(α+T)
            + softplus(log-odds of having dropped out)
    """
    x, repeat = data.x, data.repeat
    tables = _frequency_tables(r, a, b, data)
    lookup = data.lookup
    log_age = np.log(alpha + data.ages)
    log_last = np.log(alpha + data.lasts)
    age_term = np.log1p(data.ages / alpha)[data.age_of]
    # log((alpha+T)/(alpha+t_x)) as a difference of two logs: exact to ~1e-16 in absolute terms,
    # which is what the softplus below needs.
    since_last = log_age[data.age_of] - log_last[data.last_of]
    log_odds = np.where(repeat, tables["odds_prior"][lookup] + (r + x) * since_last, -np.inf)
    # softplus(z) = max(z, 0) + log1p(e^-|z|) and sigmoid(z) share e^-|z|: one exp per row.
    small = np.exp(-np.abs(log_odds))
    ll = (
        tables["log_gamma_ratio"][lookup]
        + tables["log_beta_ratio"][lookup]
        - r * age_term
        - x * log_age[data.age_of]
        + np.maximum(log_odds, 0.0)
        + np.log1p(small)
    )
    if per_row:
        return np.asarray(ll, dtype=np.float64), None
    assert data.share is not None
    share = data.share
    mean_ll = np.asarray(weighted_sum(share, ll), dtype=np.float64)
    if not gradient:
        return mean_ll, None
    # sigmoid(log-odds): the posterior probability of having dropped out (0 for x = 0).
    dropped = np.where(log_odds >= 0, 1.0, small) / (1.0 + small)
    inverse_age = (1.0 / (alpha + data.ages))[data.age_of]
    inverse_last = (1.0 / (alpha + data.lasts))[data.last_of]
    d_r = tables["d_r"][lookup] - age_term + dropped * since_last
    d_alpha = (
        (r * data.ages / (alpha * (alpha + data.ages)))[data.age_of]
        - x * inverse_age
        + dropped * (r + x) * (inverse_age - inverse_last)
    )
    d_a = tables["d_a"][lookup] + dropped / a
    d_b = tables["d_b"][lookup] + dropped * tables["odds_d_b"][lookup]
    grad = np.array([weighted_sum(share, d) for d in (d_r, d_alpha, d_a, d_b)], dtype=np.float64)
    return mean_ll, grad
