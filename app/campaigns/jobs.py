"""The campaign job, as services ask for it (see `app.core.jobs`)."""

from __future__ import annotations

import datetime as dt
import uuid

from app.core.clock import utcnow
from app.core.jobs import Job

RUN_CAMPAIGN = "run_campaign"


def run(
    organization_id: uuid.UUID, campaign_id: uuid.UUID, scheduled_at: dt.datetime | None
) -> Job:
    """Run one campaign at its time (ids only: the campaign row holds the intent).

    The job id carries the scheduled moment: a campaign moved to another time is a new job
    (arq keeps a finished job's id for an hour), while the same moment asked twice (the
    schedule and the sweep) is one job."""
    moment = scheduled_at or utcnow()
    delay = moment - utcnow()
    return Job(
        RUN_CAMPAIGN,
        (str(organization_id), str(campaign_id)),
        job_id=f"campaign:{campaign_id}:{int(moment.timestamp())}",
        defer_by=delay if delay > dt.timedelta(0) else None,
    )
