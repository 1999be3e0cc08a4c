"""Verification-code rows: written, found by identifier digest, and counted down.

Attempts are taken with a conditional UPDATE (`attempts < max`), so two guesses at once cannot
both use the last attempt, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from app.models.message import MessageChannel, VerificationCode


async def supersede(
    organization_id: uuid.UUID, identifier_digest: str, now: dt.datetime, conn: BaseDBAsyncClient
) -> None:
    """Retire the identifier's earlier codes: only the latest one sent can be used."""
    await (
        VerificationCode.filter(
            organization_id=organization_id, identifier_digest=identifier_digest, used_at=None
        )
        .using_db(conn)
        .update(used_at=now)
    )


async def insert(
    organization_id: uuid.UUID,
    *,
    channel: MessageChannel,
    identifier_digest: str,
    salt: str,
    code_digest: str,
    expires_at: dt.datetime,
    conn: BaseDBAsyncClient,
) -> VerificationCode:
    return await VerificationCode.create(
        organization_id=organization_id,
        channel=channel,
        identifier_digest=identifier_digest,
        salt=salt,
        code_digest=code_digest,
        expires_at=expires_at,
        using_db=conn,
    )


async def latest_unused(
    organization_id: uuid.UUID, identifier_digest: str
) -> VerificationCode | None:
    return (
        await VerificationCode.filter(
            organization_id=organization_id, identifier_digest=identifier_digest, used_at=None
        )
        .order_by("-created_at", "-id")
        .first()
    )


async def take_attempt(code_id: uuid.UUID, max_attempts: int) -> bool:
    """Use one attempt of an unused code; False when none is left (or it was used)."""
    changed = await VerificationCode.filter(
        id=code_id, used_at=None, attempts__lt=max_attempts
    ).update(attempts=F("attempts") + 1)
    return changed == 1


async def mark_used(code_id: uuid.UUID, now: dt.datetime) -> bool:
    changed = await VerificationCode.filter(id=code_id, used_at=None).update(used_at=now)
    return changed == 1


async def attempts(code_id: uuid.UUID) -> int:
    row = await VerificationCode.get(id=code_id).only("id", "attempts")
    return row.attempts


async def purge_expired(before: dt.datetime) -> int:
    """Delete codes that can no longer be used (a daily clean-up)."""
    return await VerificationCode.filter(expires_at__lt=before).delete()
