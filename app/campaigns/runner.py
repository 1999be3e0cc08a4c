"""Running a campaign: credit its audience once, in batches, resumable at any point.

The campaign row is the intent and the progress. Starting it (SCHEDULED → RUNNING) fixes the
audience to the customers that exist then (ids up to `audience_until`). Each batch is one
transaction: the next audience members in id order after `cursor` are credited set-based
(`repository.credit`: ON CONFLICT DO NOTHING on each entry's idempotency key
`campaign:<campaign>:<customer>`), and the cursor, counts and heartbeat move in the same
commit. So a run killed anywhere resumes after its last committed batch, a run repeated
credits nobody twice, and the counts are exact. A RUNNING campaign whose heartbeat stops is
handed to another worker by `sweep` (every minute); a SCHEDULED one whose job was lost too.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from app.auth.principal import Principal
from app.campaigns import repository
from app.campaigns.errors import CampaignFailure
from app.campaigns.jobs import run
from app.core.clock import utcnow
from app.core.ids import new_id
from app.core.jobs import revive, send_now
from app.core.transactions import atomic
from app.customers import audience
from app.models.campaign import Campaign, CampaignStatus
from app.organizations.profile import load_program_fresh
from app.wallets.ledger import LIFETIME_KINDS

logger = logging.getLogger("app.campaigns")

# A job may start this early (clocks of the API and the worker differ slightly).
EARLY = dt.timedelta(seconds=2)
# A RUNNING campaign without a committed batch for this long has lost its worker.
SILENT_AFTER = dt.timedelta(minutes=2)
SWEEP_LIMIT = 100


async def _start(principal: Principal, campaign_id: uuid.UUID) -> Campaign | CampaignStatus | None:
    """Lock the row and move it to RUNNING (or count another try of a RUNNING one). The
    campaign to credit, or the status that says there is nothing to do (None: no campaign)."""
    now = utcnow()
    async with atomic() as conn:
        campaign = await repository.lock(principal.organization_id, campaign_id, conn)
        if campaign is None:
            return None
        if campaign.status is CampaignStatus.SCHEDULED:
            if campaign.scheduled_at is not None and campaign.scheduled_at > now + EARLY:
                # Moved later since this job was asked for: its own job runs it.
                return campaign.status
            campaign.status = CampaignStatus.RUNNING
            campaign.started_at = now
            campaign.audience_until = new_id()
        elif campaign.status is not CampaignStatus.RUNNING:
            return campaign.status
        campaign.attempts += 1
        campaign.heartbeat_at = now
        await repository.save(
            campaign, ["status", "started_at", "audience_until", "attempts", "heartbeat_at"], conn
        )
    return campaign


async def run_campaign(principal: Principal, campaign_id: uuid.UUID, batch_size: int) -> str | None:
    """Credit the campaign's audience (or what is left of it); the final status, or None when
    there is no such campaign."""
    principal.require_system()
    started = await _start(principal, campaign_id)
    if not isinstance(started, Campaign):
        return started.value if started is not None else None
    campaign = started
    org = principal.organization_id
    program = await load_program_fresh(org)
    try:
        where = audience.from_json(campaign.audience)
    except audience.AudienceInvalid:
        await fail(principal, campaign_id, CampaignFailure.INVALID_AUDIENCE)
        return CampaignStatus.FAILED.value
    members = audience.members(org, where, program)
    until = campaign.audience_until
    if until is None:
        raise RuntimeError("a running campaign without its audience bound")
    if campaign.audience_size is None:
        campaign.audience_size = await repository.count(members, until)
        async with atomic() as conn:
            await repository.save(campaign, ["audience_size"], conn)
    started_at = campaign.started_at or utcnow()
    days = program.points_expire_after_days
    credit = repository.Credit(
        organization_id=org,
        campaign_id=campaign.id,
        points=campaign.points,
        reason=campaign.reason,
        actor_kind=principal.actor_kind,
        actor_id=principal.subject_id,
        # Every entry of a campaign expires together, however often its run was resumed.
        expires_at=started_at + dt.timedelta(days=days) if days else None,
        lifetime=repository.KIND in LIFETIME_KINDS,
        now=utcnow(),
    )
    cursor = campaign.cursor
    while True:
        ids = await repository.next_members(members, cursor, until, batch_size)
        if not ids:
            break
        async with atomic() as conn:
            fresh = await repository.lock(org, campaign_id, conn)
            if fresh is None or fresh.status is not CampaignStatus.RUNNING:
                return fresh.status.value if fresh is not None else None
            credited = await repository.credit(ids, credit, conn)
            # Another worker (a sweep that judged this one lost) may have gone further.
            fresh.cursor = max(ids[-1], fresh.cursor) if fresh.cursor else ids[-1]
            fresh.credited_count += credited
            fresh.points_credited += credited * campaign.points
            fresh.heartbeat_at = utcnow()
            await repository.save(
                fresh, ["cursor", "credited_count", "points_credited", "heartbeat_at"], conn
            )
        cursor = fresh.cursor
    async with atomic() as conn:
        fresh = await repository.lock(org, campaign_id, conn)
        if fresh is None or fresh.status is not CampaignStatus.RUNNING:
            return fresh.status.value if fresh is not None else None
        fresh.status = CampaignStatus.COMPLETED
        fresh.completed_at = utcnow()
        await repository.save(fresh, ["status", "completed_at"], conn)
    logger.info("campaign completed", extra={"campaign": str(campaign_id)})
    return CampaignStatus.COMPLETED.value


async def fail(principal: Principal, campaign_id: uuid.UUID, code: CampaignFailure) -> None:
    """End a campaign that cannot go on; what it credited stays credited (and counted)."""
    principal.require_system()
    async with atomic() as conn:
        campaign = await repository.lock(principal.organization_id, campaign_id, conn)
        if campaign is None or campaign.status not in (
            CampaignStatus.SCHEDULED,
            CampaignStatus.RUNNING,
        ):
            return
        campaign.status = CampaignStatus.FAILED
        campaign.error_code = code.value
        campaign.completed_at = utcnow()
        await repository.save(campaign, ["status", "error_code", "completed_at"], conn)


async def sweep(principal: Principal) -> int:
    """Ask again for campaigns that are due and not running (a lost or early job), and hand
    RUNNING ones whose worker went silent to another worker. How many were asked for."""
    principal.require_system()
    org = principal.organization_id
    now = utcnow()
    asked = 0
    for campaign in await repository.due(org, now, SWEEP_LIMIT):
        asked += await send_now(run(org, campaign.id, campaign.scheduled_at))
    for campaign in await repository.silent_runs(org, now - SILENT_AFTER, SWEEP_LIMIT):
        async with atomic() as conn:
            # Touched, so the next sweep gives this hand-over SILENT_AFTER before another.
            campaign.heartbeat_at = now
            await repository.save(campaign, ["heartbeat_at"], conn)
        asked += await revive(run(org, campaign.id, campaign.scheduled_at))
    return asked
