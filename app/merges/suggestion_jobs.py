"""The duplicate-suggestion job services ask for, and the name the worker registers it under.

A refresh recomputes one organization's suggestions from scratch, so its job id is the
organization: requests made while one waits fold into it. A staff request waits a moment (a
double click is one run); dismissals and settings edits wait longer, so a burst of them is one
recompute a little later; the nightly run asks without delay.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core.jobs import Job

REFRESH_DUPLICATE_SUGGESTIONS = "refresh_duplicate_suggestions"
REQUEST_DEBOUNCE = timedelta(seconds=2)
CHANGE_DEBOUNCE = timedelta(seconds=30)


def duplicate_refresh(
    organization_id: uuid.UUID, *, debounce: timedelta | None = CHANGE_DEBOUNCE
) -> Job:
    return Job(
        REFRESH_DUPLICATE_SUGGESTIONS,
        (str(organization_id),),
        job_id=f"duplicates:{organization_id}",
        defer_by=debounce,
    )
