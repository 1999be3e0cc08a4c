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

from typing import Any

from arq.worker import func

from app.lifecycle.jobs import REFRESH_SEGMENTS, segment_refresh
from app.lifecycle.service import recompute_segments
from workers.per_organization import (
    enqueue_for_every_organization,
    recompute_organization_as_of,
)


async def refresh_segments(
    ctx: dict[str, Any], organization_id: str, as_of: str | None = None
) -> dict[str, int] | None:
    """Recompute lifecycle stages and RFM of one organization (measured to `as_of`, an ISO
    8601 moment, when given). Safe to run twice."""
    counts = await recompute_organization_as_of(
        ctx,
        organization_id,
        as_of,
        "segment refresh",
        lambda principal, moment: recompute_segments(principal, as_of=moment),
    )
    return counts.as_dict() if counts is not None else None


async def refresh_all_segments(ctx: dict[str, Any]) -> int:
    """Nightly: one refresh job per organization (stages move with time, not only orders)."""
    return await enqueue_for_every_organization(lambda org: segment_refresh(org, debounce=False))


# keep_result=0: a finished refresh must not block the next request with the same job id.
refresh_segments_job = func(refresh_segments, name=REFRESH_SEGMENTS, keep_result=0)
