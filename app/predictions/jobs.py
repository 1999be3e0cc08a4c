"""The prediction jobs services ask for, and the name the worker registers them under.

A refit fits one organization's model from scratch and rewrites every customer's figures, so
its job id is the organization: requests made while one waits or runs fold into it (staff
asking twice, the nightly run meeting a staff request). A refit "as of" a moment carries that
moment (an ISO 8601 string, not personal data) and has a job id of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid

from app.core.jobs import Job

REFIT_PREDICTIONS = "refit_predictions"


def prediction_refit(organization_id: uuid.UUID, *, as_of: dt.datetime | None = None) -> Job:
    """Refit one organization's prediction model (measured to `as_of`, default: now)."""
    if as_of is None:
        return Job(
            REFIT_PREDICTIONS, (str(organization_id),), job_id=f"predictions:{organization_id}"
        )
    moment = as_of.astimezone(dt.UTC).isoformat()
    return Job(
        REFIT_PREDICTIONS,
        (str(organization_id), moment),
        job_id=f"predictions:{organization_id}:{moment}",
    )
