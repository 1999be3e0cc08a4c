"""Campaign jobs: run one (at its scheduled time), and the sweep that revives lost runs.

The job carries ids only; the campaign row is the intent and its progress. Running is
idempotent and resumable (app/campaigns/runner.py), so a killed worker or a lost Redis delays
a campaign and never loses or doubles a credit: `sweep_campaigns` (every minute) asks again
for due campaigns and hands silent runs to a live worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq.worker import Retry, func

from app.auth.principal import Principal
from app.campaigns import service
from app.campaigns.errors import CampaignFailure
from app.campaigns.jobs import RUN_CAMPAIGN
from app.core.db_errors import is_transient
from app.core.failures import log_failure
from app.core.ids import try_parse_id
from app.organizations.service import system_principals

logger = logging.getLogger("workers.campaigns")

RETRY_DELAY = dt.timedelta(seconds=10)
MAX_TRIES = 5


async def run_campaign(ctx: dict[str, Any], organization_id: str, campaign_id: str) -> str | None:
    org_id, campaign = try_parse_id(organization_id), try_parse_id(campaign_id)
    if org_id is None or campaign is None:
        logger.info("campaign skipped: malformed id")
        return None
    principal = Principal.system(org_id)
    try:
        return await service.run_campaign(principal, campaign, ctx["settings"].campaign_batch_size)
    except Exception as exc:
        if is_transient(exc) and ctx.get("job_try", 1) < MAX_TRIES:
            raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
        log_failure(logger, "campaign failed", exc, campaign=campaign)
        await service.fail(principal, campaign, CampaignFailure.INTERNAL_ERROR)
        return "FAILED"


async def sweep_campaigns(ctx: dict[str, Any]) -> int:
    asked = 0
    for principal in await system_principals():
        asked += await service.sweep(principal)
    return asked


run_campaign_job = func(run_campaign, name=RUN_CAMPAIGN, max_tries=MAX_TRIES)
