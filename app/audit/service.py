"""The append-only audit log: written inside the transaction of the action it records."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.auth.permissions import Operation
from app.auth.principal import Principal
from app.core.pagination import Page, PageRequest
from app.models.audit import AuditAction, AuditEvent


async def record(
    principal: Principal,
    action: AuditAction,
    subject_type: str,
    subject_id: uuid.UUID,
    details: dict[str, Any] | None = None,
    *,
    using_db: BaseDBAsyncClient | None = None,
) -> AuditEvent:
    return await AuditEvent.create(
        organization_id=principal.organization_id,
        action=action,
        actor_kind=principal.actor_kind,
        actor_id=principal.subject_id,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details or {},
        using_db=using_db,
    )


async def list_events(
    principal: Principal, page: PageRequest, subject_id: uuid.UUID | None = None
) -> Page[AuditEvent]:
    """Newest first, the way an auditor reads."""
    principal.require(Operation.AUDIT_READ)
    query = AuditEvent.filter(organization_id=principal.organization_id)
    if subject_id is not None:
        query = query.filter(subject_id=subject_id)
    count = query.count
    if page.after is not None:
        query = query.filter(id__lt=page.after)
    rows = await query.order_by("-id").limit(page.first + 1)
    return Page.from_overfetch(rows, page, count)
