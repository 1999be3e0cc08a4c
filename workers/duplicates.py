"""Duplicate-suggestion jobs: recompute one organization's; recompute every one nightly.

A recompute starts from the customers every time, so running it twice, or late, is harmless.
Staff requests, dismissals and placeholder edits ask for one through the service after their
transaction commits (`app.merges.suggestion_jobs.duplicate_refresh`, debounced per
organization); a lost request is made good by the nightly run. The job keeps no result (arq's
`_job_id` deduplicates while the job or its result is kept), so the next request after a run
can enqueue the next one.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq.worker import Retry, func

from app.auth.principal import Principal
from app.core.db_errors import is_transient
from app.core.ids import try_parse_id
from app.core.jobs import send_now
from app.merges.suggestion_jobs import REFRESH_DUPLICATE_SUGGESTIONS, duplicate_refresh
from app.merges.suggestion_service import recompute_suggestions
from app.organizations.service import organization_exists, system_principals

logger = logging.getLogger("workers.duplicates")

RETRY_DELAY = dt.timedelta(seconds=20)


async def refresh_duplicate_suggestions(
    ctx: dict[str, Any], organization_id: str
) -> dict[str, int] | None:
    """Recompute one organization's duplicate suggestions. Safe to run twice."""
    org_id = try_parse_id(organization_id)
    principal = Principal.system(org_id) if org_id is not None else None
    if principal is None or not await organization_exists(principal):
        logger.info("duplicate refresh skipped: organization %s not found", organization_id)
        return None
    try:
        counts = await recompute_suggestions(principal)
    except Exception as exc:
        if not is_transient(exc):
            raise
        # The results are replaced in one transaction: nothing was written, so retry later.
        raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
    return counts.as_dict()


async def refresh_all_duplicate_suggestions(ctx: dict[str, Any]) -> int:
    """Nightly: one recompute per organization (it also makes good any lost request)."""
    enqueued = 0
    for principal in await system_principals():
        if await send_now(duplicate_refresh(principal.organization_id, debounce=None)):
            enqueued += 1
    return enqueued


# keep_result=0: a finished refresh must not block the next request with the same job id.
refresh_duplicate_suggestions_job = func(
    refresh_duplicate_suggestions, name=REFRESH_DUPLICATE_SUGGESTIONS, keep_result=0
)
