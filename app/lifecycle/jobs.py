"""The lifecycle jobs services ask for, and the names the worker registers them under.

A segment refresh recomputes one organization's stages and RFM scores from scratch, so its job
id is the organization: requests made while one waits fold into it. Orders debounce (a burst
of purchases becomes one recompute a little later); schedules and imports ask for it at once.
A refresh "as of" a moment carries that moment (an ISO 8601 string, not personal data) and has
a job id of its own, so it never folds into, or swallows, an ordinary refresh.
"""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import timedelta

from app.core.jobs import Job

REFRESH_SEGMENTS = "refresh_segments"
SEGMENT_REFRESH_DEBOUNCE = timedelta(seconds=30)


def segment_refresh(
    organization_id: uuid.UUID, *, debounce: bool = True, as_of: dt.datetime | None = None
) -> Job:
    """Recompute one organization's lifecycle stages and RFM segments (as of `as_of`).

    The deterministic id and the short delay fold a burst of requests (orders, an import) into
    one recompute; the nightly run and staff requests ask without the delay.
    """
    if as_of is None:
        return Job(
            REFRESH_SEGMENTS,
            (str(organization_id),),
            job_id=f"segments:{organization_id}",
            defer_by=SEGMENT_REFRESH_DEBOUNCE if debounce else None,
        )
    moment = as_of.astimezone(dt.UTC).isoformat()
    return Job(
        REFRESH_SEGMENTS,
        (str(organization_id), moment),
        job_id=f"segments:{organization_id}:{moment}",
        defer_by=SEGMENT_REFRESH_DEBOUNCE if debounce else None,
    )
