"""Queries of the audit log: appending an event and reading a page of them."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.core import keyset
from app.models.audit import ActorKind, AuditAction, AuditEvent


async def append(
    organization_id: uuid.UUID,
    action: AuditAction,
    actor_kind: ActorKind,
    actor_id: uuid.UUID | None,
    subject_type: str,
    subject_id: uuid.UUID,
    details: dict[str, Any],
    using_db: BaseDBAsyncClient | None,
) -> AuditEvent:
    return await AuditEvent.create(
        organization_id=organization_id,
        action=action,
        actor_kind=actor_kind,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
        using_db=using_db,
    )


async def newest_first(
    organization_id: uuid.UUID,
    limit: int,
    *,
    subject_id: uuid.UUID | None = None,
    before: uuid.UUID | None = None,
) -> list[AuditEvent]:
    """Events of the organization (of one subject), with ids below `before`, newest first."""
    query = AuditEvent.filter(organization_id=organization_id)
    if subject_id is not None:
        query = query.filter(subject_id=subject_id)
    return await keyset.newest_first(query, limit, before)


async def count(organization_id: uuid.UUID, *, subject_id: uuid.UUID | None = None) -> int:
    query = AuditEvent.filter(organization_id=organization_id)
    if subject_id is not None:
        query = query.filter(subject_id=subject_id)
    return await query.count()
