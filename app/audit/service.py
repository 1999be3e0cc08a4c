"""The append-only audit log: written inside the transaction of the action it records."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from app.audit import repository
from app.audit.chain import ChainChecker, Verdict
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
    return await repository.append(
        principal.organization_id,
        action,
        principal.actor_kind,
        principal.subject_id,
        subject_type,
        subject_id,
        details or {},
        using_db,
    )


async def list_events(
    principal: Principal, page: PageRequest, subject_id: uuid.UUID | None = None
) -> Page[AuditEvent]:
    """Newest first, the way an auditor reads."""
    principal.require(Operation.AUDIT_READ)
    org = principal.organization_id
    rows = await repository.newest_first(
        org, page.first + 1, subject_id=subject_id, before=page.after
    )
    return Page.from_overfetch(rows, page, lambda: repository.count(org, subject_id=subject_id))


async def verify_chain(principal: Principal) -> Verdict:
    """Check the organization's audit chain from its first hashed entry to the chain head."""
    principal.require(Operation.AUDIT_READ)
    org = principal.organization_id
    head_sequence, head_hash = await repository.chain_head(org)
    checker = ChainChecker(unchained=await repository.count_unchained(org))
    async for entry in repository.chained_in_order(org):
        if checker.started_at is None:
            # Entries without a hash predate the chain; one written after it began was not
            # written by `record`.
            outsider = await repository.first_unchained_since(org, entry.created_at)
            if outsider is not None:
                return checker.outside(outsider)
        if checker.feed(entry) is not None:
            break
    return checker.finish(head_sequence, head_hash)
