"""Duplicate-suggestion jobs: recompute one organization's; recompute every one nightly.

A recompute starts from the customers every time, so running it twice, or late, is harmless.
Staff requests, dismissals and placeholder edits ask for one through the service after their
transaction commits (`app.merges.suggestion_jobs.duplicate_refresh`, debounced per
organization); a lost request is made good by the nightly run. The job keeps no result (arq's
`_job_id` deduplicates while the job or its result is kept), so the next request after a run
can enqueue the next one.
"""

from __future__ import annotations

from typing import Any

from arq.worker import func

from app.merges.suggestion_jobs import REFRESH_DUPLICATE_SUGGESTIONS, duplicate_refresh
from app.merges.suggestion_service import recompute_suggestions
from workers.per_organization import enqueue_for_every_organization, recompute_organization


async def refresh_duplicate_suggestions(
    ctx: dict[str, Any], organization_id: str
) -> dict[str, int] | None:
    """Recompute one organization's duplicate suggestions. Safe to run twice."""
    counts = await recompute_organization(
        ctx, organization_id, "duplicate refresh", recompute_suggestions
    )
    return counts.as_dict() if counts is not None else None


async def refresh_all_duplicate_suggestions(ctx: dict[str, Any]) -> int:
    """Nightly: one recompute per organization (it also makes good any lost request)."""
    return await enqueue_for_every_organization(lambda org: duplicate_refresh(org, debounce=None))


# keep_result=0: a finished refresh must not block the next request with the same job id.
refresh_duplicate_suggestions_job = func(
    refresh_duplicate_suggestions, name=REFRESH_DUPLICATE_SUGGESTIONS, keep_result=0
)
