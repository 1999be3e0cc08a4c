"""Prediction jobs: refit one organization's model; refit every one nightly.

A refit fits from scratch and rewrites every customer's figures in one transaction, so running
it twice, or late, is harmless: the second run writes the same figures. Staff ask through
`predictionModelRefit` (`app.predictions.jobs.prediction_refit`, job id per organization, so
requests fold while one waits or runs); the nightly run follows the segments refresh.
"""

from __future__ import annotations

from typing import Any

from arq.worker import func

from app.predictions.jobs import REFIT_PREDICTIONS, prediction_refit
from app.predictions.service import refit_predictions as refit_service
from workers.per_organization import (
    enqueue_for_every_organization,
    recompute_organization_as_of,
)


async def refit_predictions(
    ctx: dict[str, Any], organization_id: str, as_of: str | None = None
) -> dict[str, Any] | None:
    """Refit one organization's model (measured to `as_of`, an ISO 8601 moment, when given).
    Safe to run twice."""
    outcome = await recompute_organization_as_of(
        ctx,
        organization_id,
        as_of,
        "prediction refit",
        lambda principal, moment: refit_service(principal, as_of=moment),
    )
    if outcome is None:
        return None
    return {
        "status": outcome.model.status.value,
        "scored": outcome.scored,
        "cleared": outcome.cleared,
    }


async def refit_all_predictions(ctx: dict[str, Any]) -> int:
    """Nightly: one refit job per organization (ages grow and customers lapse with time)."""
    return await enqueue_for_every_organization(lambda org: prediction_refit(org))


# keep_result=0: a finished refit must not block the next request with the same job id.
refit_predictions_job = func(refit_predictions, name=REFIT_PREDICTIONS, keep_result=0)
