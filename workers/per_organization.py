"""What every whole-organization recompute job does around its service call.

A recompute (segments, duplicate suggestions) is asked for by organization id: the job checks
the organization still exists, runs the service as the system, and turns a transient database
error into arq's `Retry` (the recompute writes in one transaction, so nothing was written).
The nightly run enqueues one such job per organization.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from arq.worker import Retry

from app.auth.principal import Principal
from app.core.db_errors import is_transient
from app.core.ids import try_parse_id
from app.core.jobs import Job, send_now
from app.lifecycle.as_of import parse_as_of
from app.organizations.service import organization_exists, system_principals

logger = logging.getLogger("workers")

RETRY_DELAY = dt.timedelta(seconds=20)
T = TypeVar("T")


async def recompute_organization(
    ctx: dict[str, Any],
    organization_id: str,
    what: str,
    recompute: Callable[[Principal], Awaitable[T]],
) -> T | None:
    """`recompute` as the organization's system principal; None when it no longer exists."""
    org_id = try_parse_id(organization_id)
    principal = Principal.system(org_id) if org_id is not None else None
    if principal is None or not await organization_exists(principal):
        logger.info("%s skipped: organization %s not found", what, organization_id)
        return None
    try:
        return await recompute(principal)
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc


async def recompute_organization_as_of(
    ctx: dict[str, Any],
    organization_id: str,
    as_of: str | None,
    what: str,
    recompute: Callable[[Principal, dt.datetime | None], Awaitable[T]],
) -> T | None:
    """`recompute_organization` measured to `as_of`, an ISO 8601 moment from the job's
    arguments (None: now); a moment that cannot be read skips the job."""
    try:
        moment = parse_as_of(as_of)
    except ValueError:
        logger.warning("%s skipped: unreadable as-of moment", what)
        return None
    return await recompute_organization(
        ctx, organization_id, what, lambda principal: recompute(principal, moment)
    )


async def enqueue_for_every_organization(job_for: Callable[[uuid.UUID], Job]) -> int:
    """One job per organization, at once; how many were enqueued (not already waiting)."""
    enqueued = 0
    for principal in await system_principals():
        if await send_now(job_for(principal.organization_id)):
            enqueued += 1
    return enqueued
