"""Housekeeping jobs that belong to no single domain."""

from __future__ import annotations

from typing import Any

from app.auth.service import purge_expired_sessions as purge_sessions_of
from app.organizations.service import system_principals
from app.privacy.verification import purge_expired_codes


async def purge_expired_sessions(ctx: dict[str, Any]) -> int:
    """Delete sessions that expired more than a week ago, organization by organization."""
    purged = 0
    for principal in await system_principals():
        purged += await purge_sessions_of(principal)
    return purged


async def purge_verification_codes(ctx: dict[str, Any]) -> int:
    """Delete one-time codes that can no longer be used."""
    return await purge_expired_codes()
