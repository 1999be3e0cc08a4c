"""Persona jobs: generate one set; the scheduled refresh; reconciling sets left RUNNING.

The job carries only the persona set id. Its intent is the RUNNING `PersonaSet` row written by
`request_regeneration` (which also asks for this job after its commit), so a lost Redis or a
killed worker loses nothing: `reconcile_personas` (hourly) sends RUNNING sets' runs again and
gives up on those older than the job timeout allows. `run_generation` leaves finished sets
alone and restarts interrupted ones from scratch.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from arq.worker import Retry, func

from app.auth.principal import Principal
from app.core.db_errors import is_transient
from app.core.failures import log_failure
from app.core.ids import try_parse_id
from app.personas import service
from app.personas.jobs import REGENERATE_PERSONAS

logger = logging.getLogger("workers.personas")

RETRY_DELAY = dt.timedelta(seconds=30)
# A million customers take about a minute; the margin covers much larger organizations.
JOB_TIMEOUT = dt.timedelta(hours=1)


async def regenerate_personas(
    ctx: dict[str, Any], organization_id: str, persona_set_id: str
) -> str | None:
    """Generate one persona set. Safe to run twice; returns the set's final status."""
    org_id, set_id = try_parse_id(organization_id), try_parse_id(persona_set_id)
    if org_id is None or set_id is None:
        logger.info("persona regeneration skipped: malformed id")
        return None
    principal = Principal.system(org_id)
    try:
        result = await service.run_generation(principal, set_id)
    except Exception as exc:
        if is_transient(exc):
            # The run starts over from a clean slate, so trying again later is safe.
            raise Retry(defer=RETRY_DELAY.total_seconds() * ctx.get("job_try", 1)) from exc
        log_failure(logger, "persona regeneration failed", exc, set=set_id)
        await service.fail_unexpectedly(principal, set_id)
        return "FAILED"
    return result.status.value if result is not None else None


async def refresh_due_personas(ctx: dict[str, Any]) -> int:
    """The monthly refresh. Runs daily and regenerates each eligible organization whose
    personas are a refresh interval (30 days by default) old, or that has none yet: every
    organization is refreshed once a month, spread over the days, and a day missed (worker
    down) is caught up the next day. Returns how many regenerations were requested."""
    requested = 0
    for organization_id in await service.organizations():
        principal = Principal.system(organization_id)
        if await service.request_scheduled_regeneration(principal) is not None:
            requested += 1
    return requested


async def reconcile_personas(ctx: dict[str, Any]) -> dict[str, int]:
    """Send RUNNING sets' runs again (lost jobs) and fail the ones stuck too long."""
    resumed = failed = 0
    for organization_id in await service.organizations():
        found = await service.reconcile(Principal.system(organization_id))
        resumed += len(found.resumed)
        failed += len(found.failed)
    return {"resumed": resumed, "failed": failed}


regenerate_personas_job = func(
    regenerate_personas,
    name=REGENERATE_PERSONAS,
    timeout=JOB_TIMEOUT.total_seconds(),
    max_tries=service.MAX_ATTEMPTS + 2,
)
