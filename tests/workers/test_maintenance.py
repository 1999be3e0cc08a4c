"""purge_expired_sessions: sessions expired past the retention go, in every organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.auth.service import SESSION_RETENTION
from app.core.clock import advanced, utcnow
from app.models.staff import Staff, StaffSession
from tests.conftest import Tenant
from workers.maintenance import purge_expired_sessions

CTX: dict[str, Any] = {}


async def _session(tenant: Tenant, name: str, expires_in: dt.timedelta) -> StaffSession:
    staff = await Staff.get(id=tenant.owner_id)
    return await StaffSession.create(
        staff=staff, token_hash=f"{name}-{tenant.organization_id}", expires_at=utcnow() + expires_in
    )


async def test_only_sessions_expired_past_the_retention_are_deleted(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    kept: list[StaffSession] = []
    for owner in (tenant, other_tenant):
        await _session(owner, "old", -(SESSION_RETENTION + dt.timedelta(hours=1)))
        kept.append(await _session(owner, "recent", -dt.timedelta(days=1)))
        kept.append(await _session(owner, "live", dt.timedelta(hours=1)))

    assert await purge_expired_sessions(CTX) == 2
    assert await purge_expired_sessions(CTX) == 0

    left = await StaffSession.filter(token_hash__in=[s.token_hash for s in kept]).count()
    assert left == len(kept)


async def test_a_session_goes_once_the_retention_has_passed(tenant: Tenant) -> None:
    session = await _session(tenant, "ending", dt.timedelta(hours=1))
    with advanced(SESSION_RETENTION):
        await purge_expired_sessions(CTX)
    assert await StaffSession.exists(id=session.id)
    with advanced(SESSION_RETENTION + dt.timedelta(hours=2)):
        await purge_expired_sessions(CTX)
    assert not await StaffSession.exists(id=session.id)
