"""Housekeeping jobs that belong to no single domain."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.clock import utcnow
from app.models.staff import StaffSession

# Expired sessions are kept a while so "signed out because expired" can still be told apart.
SESSION_RETENTION = timedelta(days=7)


async def purge_expired_sessions(ctx: dict[str, Any]) -> int:
    """Delete sessions that expired more than a week ago. Safe to run twice."""
    return await StaffSession.filter(expires_at__lt=utcnow() - SESSION_RETENTION).delete()
