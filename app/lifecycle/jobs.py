"""The lifecycle jobs services ask for, and the names the worker registers them under.

A segment refresh recomputes one organization's stages and RFM scores from scratch, so its job
id is the organization: requests made while one waits fold into it. Orders debounce (a burst
of purchases becomes one recompute a little later); schedules and imports ask for it at once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core.jobs import Job

REFRESH_SEGMENTS = "refresh_segments"
SEGMENT_REFRESH_DEBOUNCE = timedelta(seconds=30)


def segment_refresh(organization_id: uuid.UUID, *, debounce: bool = True) -> Job:
    """Recompute one organization's lifecycle stages and RFM segments.

    The deterministic id and the short delay fold a burst of requests (orders, an import) into
    one recompute; the nightly run asks without the delay.
    """
    return Job(
        REFRESH_SEGMENTS,
        (str(organization_id),),
        job_id=f"segments:{organization_id}",
        defer_by=SEGMENT_REFRESH_DEBOUNCE if debounce else None,
    )
