"""The jobs of the lifecycle domain, as services ask for them (see `app.core.jobs`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core.jobs import Job

REFRESH_SEGMENTS = "refresh_segments"


def segment_refresh(organization_id: uuid.UUID, *, debounce: bool = True) -> Job:
    """Recompute one organization's lifecycle stages and RFM segments.

    The deterministic id and the short delay fold a burst of requests (orders, an import) into
    one recompute; the nightly run asks without the delay.
    """
    return Job(
        REFRESH_SEGMENTS,
        (str(organization_id),),
        job_id=f"segments:{organization_id}",
        defer_by=timedelta(seconds=30) if debounce else None,
    )
