"""Lifecycle and RFM jobs: refresh one organization's segments; refresh every one nightly.

A refresh recomputes everything from the customers' order statistics, so running it twice,
or late, is harmless: the second run changes nothing. The order service asks for a refresh
after its transaction commits (`app.lifecycle.jobs.segment_refresh`); the deterministic job id
and the short delay fold a burst of orders into one recompute. The job keeps no result (arq's
`_job_id` deduplicates while the job or its result is kept), so the next order after a refresh
can enqueue the next one; an order that lands while a refresh runs waits for the next request
or the nightly run.
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
from app.lifecycle.as_of import parse_as_of
from app.lifecycle.jobs import REFRESH_SEGMENTS, segment_refresh
from app.lifecycle.service import recompute_segments
from app.organizations.service import organization_exists, system_principals

logger = logging.getLogger("workers.lifecycle")

RETRY_DELAY = dt.timedelta(seconds=20)


async def refresh_segments(
    ctx: dict[str, Any], organization_id: str, as_of: str | None = None
) -> dict[str, int] | None:
    """Recompute lifecycle stages and RFM of one organization (measured to `as_of`, an ISO
    8601 moment, when given). Safe to run twice."""
    org_id = try_parse_id(organization_id)
    principal = Principal.system(org_id) if org_id is not None else None
    if principal is None or not await organization_exists(principal):
        logger.info("segment refresh skipped: organization %s not found", organization_id)
        return None
    try:
        moment = parse_as_of(as_of)
    except ValueError:
        logger.warning("segment refresh skipped: unreadable as-of moment")
        return None
    try:
        counts = await recompute_segments(principal, as_of=moment)
    except Exception as exc:
        if not is_transient(exc):
            raise
        # Nothing was written (one transaction), so trying again later is safe.
        raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
    return counts.as_dict()


async def refresh_all_segments(ctx: dict[str, Any]) -> int:
    """Nightly: one refresh job per organization (stages move with time, not only orders)."""
    enqueued = 0
    for principal in await system_principals():
        if await send_now(segment_refresh(principal.organization_id, debounce=False)):
            enqueued += 1
    return enqueued


# keep_result=0: a finished refresh must not block the next request with the same job id.
refresh_segments_job = func(refresh_segments, name=REFRESH_SEGMENTS, keep_result=0)
