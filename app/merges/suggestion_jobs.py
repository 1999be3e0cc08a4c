"""The duplicate-suggestion job services ask for, and the name the worker registers it under.

A refresh recomputes one organization's suggestions from scratch, so its job id is the
organization: requests made while one waits fold into it. Staff requests and dismissals
debounce (a burst of dismissals becomes one recompute a little later); the nightly run asks
without the delay.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core.jobs import Job

REFRESH_DUPLICATE_SUGGESTIONS = "refresh_duplicate_suggestions"
DUPLICATE_REFRESH_DEBOUNCE = timedelta(seconds=30)


def duplicate_refresh(organization_id: uuid.UUID, *, debounce: bool = True) -> Job:
    return Job(
        REFRESH_DUPLICATE_SUGGESTIONS,
        (str(organization_id),),
        job_id=f"duplicates:{organization_id}",
        defer_by=DUPLICATE_REFRESH_DEBOUNCE if debounce else None,
    )
