"""One refit of an organization's prediction model, end to end, in one transaction:

aggregate the history (one pass over the orders) → check there is enough of it → fit BG/NBD on
the distinct (x, recency, age) triples weighted by their counts, and Gamma-Gamma on the repeat
buyers' mean values → calibrate (fit on the history before a cut-off, predict the held-back
period, compare) → score each distinct triple → write every customer's figures in one UPDATE →
store the model row.

Time is counted in whole UTC days in the database and in weeks in the models (days / 7).
The figures are measured to the model's as-of moment: probability alive then, purchases and
spend expected over the 90 and 365 days after it.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.transactions import atomic
from app.models.prediction import PredictionModel, PredictionModelStatus
from app.predictions import bgnbd, calibration, churn, gamma_gamma, repository
from app.predictions.repository import Scores, Triples

DAYS_PER_WEEK = 7.0
ORDERS_HORIZON_DAYS = 90
SPEND_HORIZON_DAYS = 365
# The held-back period of the calibration: a quarter of the history, in whole weeks, between
# MIN_HOLDOUT_WEEKS and MAX_HOLDOUT_WEEKS; a history shorter than MIN_HISTORY_WEEKS for the
# calibration is not calibrated (the model may still be fitted and used).
MIN_HOLDOUT_WEEKS = 4
MAX_HOLDOUT_WEEKS = 26
MIN_HISTORY_WEEKS = 16

# The reason codes of a model row without figures.
TOO_LITTLE_HISTORY = "TOO_LITTLE_HISTORY"
NOT_CONVERGED = "NOT_CONVERGED"

# For this transaction only (as the lifecycle recompute): grouping a large organization's
# orders by customer and day wants more than the default 4 MB; JIT costs more than it saves.
_PG_SETTINGS = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"


def weeks(days: np.ndarray[Any, Any] | float) -> Any:
    return np.asarray(days, dtype=np.float64) / DAYS_PER_WEEK


def holdout_days(history_days: int) -> int | None:
    """The length of the held-back period for a history of this many days (None: too short
    to calibrate)."""
    if history_days < MIN_HISTORY_WEEKS * DAYS_PER_WEEK:
        return None
    quarter_weeks = int(history_days // DAYS_PER_WEEK) // 4
    return int(min(max(quarter_weeks, MIN_HOLDOUT_WEEKS), MAX_HOLDOUT_WEEKS) * DAYS_PER_WEEK)


@dataclass
class RefitOutcome:
    model: PredictionModel
    # Customers whose figures were written (0 without a model).
    scored: int
    cleared: int
    timings: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._last, 3)
        self._last = now


def score(params: bgnbd.BgNbdParams, triples: Triples) -> Scores:
    """The figures of each distinct triple: probability alive at its age, purchases expected
    over the two horizons, and the churn band."""
    x, t_x, age = triples.frequency, weeks(triples.recency_days), weeks(triples.age_days)
    alive = np.asarray(bgnbd.probability_alive(params, x, t_x, age), dtype=np.float64)
    return Scores(
        probability_alive=alive,
        expected_orders=np.asarray(
            bgnbd.expected_purchases(params, weeks(ORDERS_HORIZON_DAYS), x, t_x, age),
            dtype=np.float64,
        ),
        expected_purchases_for_spend=np.asarray(
            bgnbd.expected_purchases(params, weeks(SPEND_HORIZON_DAYS), x, t_x, age),
            dtype=np.float64,
        ),
        churn_risk=[str(band) for band in churn.churn_risks(alive)],
    )


def _calibrate(history: Triples, holdout: int) -> dict[str, Any]:
    """Fit on the history before the cut-off, predict the held-back period, compare."""
    reason = churn.eligibility(history.frequency, weights=history.weights)
    if reason is not None:
        return {"skipped": True, "reason": reason, "holdoutDays": holdout}
    assert history.holdout is not None
    result = calibration.calibrate(
        history.frequency,
        weeks(history.recency_days),
        weeks(history.age_days),
        history.holdout,
        weeks(holdout),
        weights=history.weights,
    )
    return {"skipped": False, "holdoutDays": holdout, **result.to_json()}


def usable_spend_fit(spend: gamma_gamma.GammaGammaFit) -> bool:
    """Gamma-Gamma parameters figures may be computed with. A fit that ends at the bounds of
    q and v (customers' order values vary no more between customers than within: q and v grow
    together without limit) is not "converged", yet its expected order value is the sensible
    one, close to the population mean for everybody; the model records that it did not
    converge (`converged`, `parameters.gammaGamma.converged`) and is used. Non-finite values
    are not."""
    g = spend.params
    return spend.converged or bool(np.all(np.isfinite([g.p, g.q, g.v])) and g.q > 1.0)


def _parameters(fit: bgnbd.BgNbdFit, spend: gamma_gamma.GammaGammaFit) -> dict[str, Any]:
    b, g = fit.params, spend.params
    return {
        "timeUnit": "weeks",
        "bgnbd": {"r": b.r, "alpha": b.alpha, "a": b.a, "b": b.b},
        "gammaGamma": {"p": g.p, "q": g.q, "v": g.v, "converged": spend.converged},
    }


async def refit(
    organization_id: uuid.UUID, as_of: dt.datetime, fitted_at: dt.datetime
) -> RefitOutcome:
    """Fit the organization's model on its history up to `as_of` and write every customer's
    figures; or, with too little history, store why and clear the figures. Idempotent: a
    second run over the same orders writes the same figures and the same model."""
    clock = _Clock()
    first = await repository.earliest_first_order(organization_id)
    history_days = repository.day_number(as_of) - repository.day_number(first) if first else 0
    holdout = holdout_days(history_days)
    cutoff = repository.day_number(as_of) - holdout if holdout is not None else None
    async with atomic(repository.CONNECTION) as conn:
        await repository.drop_temporary_tables(conn)
        if conn.capabilities.dialect == "postgres":
            await conn.execute_script(_PG_SETTINGS)
        await repository.aggregate_history(conn, organization_id, as_of, cutoff)
        triples = await repository.purchase_triples(conn)
        clock.lap("aggregate")
        base: dict[str, Any] = {
            "fitted_at": fitted_at,
            "as_of": as_of,
            "customers": triples.customers,
            "repeat_buyers": triples.repeat_buyers,
            "calibration": None,
            "parameters": {},
            "bgnbd_log_likelihood": None,
            "gamma_gamma_log_likelihood": None,
            "converged": False,
            "reason_code": None,
            "reason": None,
        }
        lacking = churn.eligibility(triples.frequency, weights=triples.weights)
        if lacking is not None:
            base |= {
                "status": PredictionModelStatus.INELIGIBLE,
                "reason_code": TOO_LITTLE_HISTORY,
                "reason": lacking,
            }
            return await _without_figures(conn, organization_id, base, clock)
        fit = bgnbd.fit_bgnbd(
            triples.frequency,
            weeks(triples.recency_days),
            weeks(triples.age_days),
            weights=triples.weights,
        )
        x, monetary, weights = await repository.repeat_spend(conn)
        spend = gamma_gamma.fit_gamma_gamma(x, monetary, weights=weights)
        clock.lap("fit")
        if not (fit.converged and usable_spend_fit(spend)):
            base |= {
                "status": PredictionModelStatus.FAILED,
                "reason_code": NOT_CONVERGED,
                "reason": "The model fit did not converge on this history; the previous"
                " figures were cleared and the next refit tries again.",
            }
            return await _without_figures(conn, organization_id, base, clock)
        if holdout is not None:
            base["calibration"] = _calibrate(await repository.calibration_triples(conn), holdout)
        clock.lap("calibration")
        scores = score(fit.params, triples)
        await repository.store_scores(conn, triples, scores)
        clock.lap("score")
        g = spend.params
        scored = await repository.write_figures(conn, organization_id, fitted_at, (g.p, g.q, g.v))
        cleared = await repository.clear_figures(conn, organization_id, keep=fitted_at)
        clock.lap("write")
        base |= {
            "status": PredictionModelStatus.FITTED,
            "parameters": _parameters(fit, spend),
            "bgnbd_log_likelihood": fit.log_likelihood,
            "gamma_gamma_log_likelihood": spend.log_likelihood,
            "converged": spend.converged,
            "timings": clock.timings,
        }
        model = await repository.save_model(conn, organization_id, base)
        await repository.drop_temporary_tables(conn)
    return RefitOutcome(model=model, scored=scored, cleared=cleared, timings=clock.timings)


async def _without_figures(
    conn: Any, organization_id: uuid.UUID, values: dict[str, Any], clock: _Clock
) -> RefitOutcome:
    cleared = await repository.clear_figures(conn, organization_id, keep=None)
    clock.lap("write")
    model = await repository.save_model(conn, organization_id, values | {"timings": clock.timings})
    await repository.drop_temporary_tables(conn)
    return RefitOutcome(model=model, scored=0, cleared=cleared, timings=clock.timings)
