"""Maximum likelihood over log-parameters within bounds, with an honest convergence flag."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from app.predictions.arrays import FloatArray

# How close (in log-parameter units) a solution may come to a bound and still count as an
# interior optimum. An optimum pressed against a bound means the likelihood keeps improving
# outside the allowed range: the data do not identify the model, which is reported, not hidden.
BOUND_MARGIN = 1e-3

# L-BFGS-B stops on a relative change of the objective (ftol) or a small projected gradient (gtol).
# The objective is the mean log-likelihood per customer, so the tolerances do not depend on size.
FTOL = 1e-13
GTOL = 1e-7
MAX_ITERATIONS = 2000

# The Hessian check (see `_curved`): a step in log-parameters for the finite differences, and the
# smallest eigenvalue, relative to the largest, that still counts as curvature rather than a flat
# direction.
HESSIAN_STEP = 1e-4
MIN_RELATIVE_CURVATURE = 1e-6

# Bounds of every parameter the models fit (on scaled data: times divided by the mean age, money
# by the mean spend, so the bounds are unit-free): wide enough for any plausible customer base,
# narrow enough that a search cannot run off towards a degenerate limit (a, b → ∞ in BG/NBD is
# "everyone drops out with the same p", reached only asymptotically; see DESIGN.md section 4).
PARAMETER_MIN = 1e-4
PARAMETER_MAX = 1e4

Objective = Callable[[FloatArray], tuple[float, FloatArray]]


def fit_log_parameters(objective: Objective, starts: Sequence[Sequence[float]]) -> Optimum:
    """Minimize `objective` over log-parameters within [log PARAMETER_MIN, log PARAMETER_MAX].

    `starts` are in parameter space; `objective` takes log-parameters.
    """
    bound = (float(np.log(PARAMETER_MIN)), float(np.log(PARAMETER_MAX)))
    log_starts = [np.log(np.asarray(start, dtype=np.float64)).tolist() for start in starts]
    return minimize_negative_log_likelihood(objective, log_starts, [bound] * len(starts[0]))


@dataclass(frozen=True)
class Optimum:
    theta: FloatArray
    value: float
    converged: bool
    iterations: int


def minimize_negative_log_likelihood(
    objective: Objective,
    starts: Sequence[Sequence[float]],
    bounds: Sequence[tuple[float, float]],
) -> Optimum:
    """L-BFGS-B from each start in turn until one converges to a proper optimum; else the best.

    `objective` returns (value, gradient). The later starts guard against stopping on a flat
    ridge or a bound from an unlucky first one; they cost nothing when the first succeeds.
    """
    best: Optimum | None = None
    iterations = 0
    # L-BFGS-B's few-element vector work goes through BLAS; its threads only add overhead.
    with threadpool_limits(limits=1, user_api="blas"):
        for start in starts:
            result = _lbfgsb(objective, start, bounds)
            iterations += int(result.nit)
            theta = np.asarray(result.x, dtype=np.float64)
            value = float(result.fun)
            converged = (
                bool(result.success)
                and bool(np.isfinite(value))
                and _interior(theta, bounds)
                and _curved(objective, theta)
            )
            candidate = Optimum(theta, value, converged, iterations)
            if converged:
                return candidate
            if best is None or _better(candidate, best):
                best = candidate
    assert best is not None, "at least one start is needed"
    return Optimum(best.theta, best.value, best.converged, iterations)


def curvature(objective: Objective, theta: FloatArray) -> FloatArray:
    """Hessian of the objective at theta, by central differences of the analytic gradient."""
    size = theta.size
    hessian = np.empty((size, size), dtype=np.float64)
    for j in range(size):
        step = np.zeros(size)
        step[j] = HESSIAN_STEP
        hessian[:, j] = (objective(theta + step)[1] - objective(theta - step)[1]) / (
            2 * HESSIAN_STEP
        )
    return np.asarray((hessian + hessian.T) / 2, dtype=np.float64)


def _curved(objective: Objective, theta: FloatArray) -> bool:
    """Whether the optimum is a proper one: the likelihood falls off in every direction.

    A flat direction (a parameter the data say nothing about, or a ridge running to infinity)
    leaves the optimizer's stopping point arbitrary along it, however small the gradient.
    """
    eigenvalues = np.linalg.eigvalsh(curvature(objective, theta))
    largest = float(eigenvalues.max())
    return largest > 0 and float(eigenvalues.min()) > MIN_RELATIVE_CURVATURE * largest


def _lbfgsb(
    objective: Objective, start: Sequence[float], bounds: Sequence[tuple[float, float]]
) -> Any:
    return minimize(
        objective,
        np.asarray(start, dtype=np.float64),
        jac=True,
        method="L-BFGS-B",
        bounds=list(bounds),
        options={"maxiter": MAX_ITERATIONS, "ftol": FTOL, "gtol": GTOL},
    )


def _better(candidate: Optimum, incumbent: Optimum) -> bool:
    if not np.isfinite(candidate.value):
        return False
    if not np.isfinite(incumbent.value):
        return True
    return candidate.value < incumbent.value - 1e-12 * max(1.0, abs(incumbent.value))


def _interior(theta: FloatArray, bounds: Sequence[tuple[float, float]]) -> bool:
    low = np.array([b[0] for b in bounds])
    high = np.array([b[1] for b in bounds])
    return bool(np.all(theta > low + BOUND_MARGIN) and np.all(theta < high - BOUND_MARGIN))
