"""Predictions: refit an organization's model, read it, and ask for a refit.

The numbers come from `app.predictions.bgnbd` and `gamma_gamma`, fitted per organization by
`app.predictions.refit`; a customer's figures (stored, and other horizons on the fly) are read
through `app.predictions.figures`. This module decides who may do what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.jobs import request_job
from app.lifecycle.as_of import check_as_of
from app.models.prediction import PredictionModel
from app.predictions import jobs, repository
from app.predictions.errors import PredictionErrorCode
from app.predictions.refit import RefitOutcome, refit


@dataclass(frozen=True)
class RefitRequest:
    """A refit asked for by staff: run by a worker soon, measured to `as_of` (None: now)."""

    as_of: dt.datetime | None


async def refit_predictions(
    principal: Principal, now: dt.datetime | None = None, *, as_of: dt.datetime | None = None
) -> RefitOutcome:
    """Fit the organization's model and write every customer's figures, measured to `as_of`
    (default: `now`, the clock). A system task (the refit job, the nightly run): staff ask
    through `request_refit`. Safe to run twice."""
    principal.require_system()
    as_of = check_as_of(as_of, code=PredictionErrorCode.AS_OF_IN_FUTURE)
    fitted_at = now or utcnow()
    return await refit(principal.organization_id, as_of or fitted_at, fitted_at)


async def request_refit(principal: Principal, as_of: dt.datetime | None = None) -> RefitRequest:
    """Ask a worker to refit the organization's model now, measured to `as_of` when given.
    The job id is the organization (and the moment): asking again while one waits or runs
    folds into it. Sent once the caller's transaction commits."""
    principal.require(Operation.PREDICTIONS_REFIT)
    as_of = check_as_of(as_of, code=PredictionErrorCode.AS_OF_IN_FUTURE)
    await request_job(jobs.prediction_refit(principal.organization_id, as_of=as_of))
    return RefitRequest(as_of=as_of)


async def current_model(principal: Principal) -> PredictionModel | None:
    """The organization's model (fitted, or why there is none); None before the first refit."""
    principal.require(Operation.CUSTOMER_STATS)
    return await repository.current_model(principal.organization_id)


async def model_for_customer_figures(principal: Principal) -> PredictionModel | None:
    """The model `Customer.predictions` computes other horizons with (a customer reader's
    view: its parameters only serve the figures of customers the reader may see)."""
    principal.require(Operation.CUSTOMER_READ)
    return await repository.current_model(principal.organization_id)
