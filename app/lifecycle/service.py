"""Lifecycle stages and RFM segments: recompute an organization, refresh one customer.

The SQL lives in `app.lifecycle.repository`; this module decides who may run it and with
which program. RFM scores are relative to the whole organization, so an order changes them
only through a recompute (the debounced job of `app.lifecycle.jobs.segment_refresh`, which the
order service asks for, and staff through `request_recompute`).

"As of": a recompute may be measured to a past moment instead of now; the statistics then come
from the orders placed up to it (later ones are ignored) and stages are judged at it. The
result is stored like any other recompute, until the next one (an order's debounced refresh,
the nightly run) measures to now again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.jobs import request_job
from app.lifecycle import jobs, repository
from app.lifecycle.as_of import check_as_of
from app.lifecycle.rules import stage_for
from app.models.customer import Customer, LifecycleStage
from app.organizations.profile import load_program, load_program_fresh
from app.organizations.program import LoyaltyProgram


@dataclass(frozen=True)
class RecomputeCounts:
    # Customers whose stage or RFM changed (rows written).
    changed: int
    # Customers with RFM scores (live, with at least one order).
    scored: int

    def as_dict(self) -> dict[str, int]:
        return {"changed": self.changed, "scored": self.scored}


@dataclass(frozen=True)
class RecomputeRequest:
    """A recompute asked for by staff: run by a worker soon, measured to `as_of` (None: now)."""

    as_of: dt.datetime | None


async def recompute_segments(
    principal: Principal, now: dt.datetime | None = None, *, as_of: dt.datetime | None = None
) -> RecomputeCounts:
    """Recompute lifecycle stage and RFM of every customer of the principal's organization.

    A system task (the refresh job, the seed, `loyalty segments recompute`): no staff member
    or key runs it directly (they ask through `request_recompute`). With `as_of`, measured to
    that moment from the orders placed up to it; otherwise from the statistics kept on each
    customer, at `now` (the clock; tests pin it). Idempotent: running it twice with the same
    arguments changes nothing the second time.
    """
    principal.require_system()
    as_of = check_as_of(as_of)
    # Read afresh, not through the cache: a changed threshold applies from this run on.
    program = await load_program_fresh(principal.organization_id)
    changed, scored = await repository.recompute(
        principal.organization_id, as_of or now or utcnow(), program, as_of=as_of
    )
    return RecomputeCounts(changed=changed, scored=scored)


async def request_recompute(
    principal: Principal, as_of: dt.datetime | None = None
) -> RecomputeRequest:
    """Ask a worker to recompute the organization's stages and RFM now (no debounce), measured
    to `as_of` when given. The job is sent once the caller's transaction commits."""
    principal.require(Operation.SEGMENTS_RECOMPUTE)
    as_of = check_as_of(as_of)
    await request_job(jobs.segment_refresh(principal.organization_id, debounce=False, as_of=as_of))
    return RecomputeRequest(as_of=as_of)


async def refresh_customer_stage(
    principal: Principal,
    customer: Customer,
    *,
    now: dt.datetime | None = None,
    program: LoyaltyProgram | None = None,
) -> LifecycleStage:
    """Bring one customer's lifecycle stage up to date from its order statistics.

    After a caller has written `order_count` and `last_order_at` on this instance. Writes only
    when the stage changes; returns the stage.
    """
    principal.require(Operation.ORDER_WRITE)
    rules = program or await load_program(principal.organization_id)
    stage = stage_for(customer.order_count, customer.last_order_at, now or utcnow(), rules)
    if stage != customer.lifecycle_stage:
        await repository.set_stage(principal.organization_id, customer.id, stage)
        customer.lifecycle_stage = stage
    return stage
