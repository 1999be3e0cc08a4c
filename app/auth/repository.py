"""Queries of staff accounts, their sessions and API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.backends.base.client import BaseDBAsyncClient

from app.models.api_key import ApiKey
from app.models.staff import Role, Staff, StaffSession


async def staff_email_taken(organization_id: uuid.UUID, email: str) -> bool:
    # Unique per organization: the same person may be staff of several merchants.
    return await Staff.exists(organization_id=organization_id, email=email)


async def active_staff_signing_in(email: str, organization_id: uuid.UUID | None) -> list[Staff]:
    """Active staff with this email (in one organization when named), with their organization."""
    query = Staff.filter(email=email, is_active=True)
    if organization_id is not None:
        query = query.filter(organization_id=organization_id)
    return await query.select_related("organization").order_by("organization_id")


async def staff_of(organization_id: uuid.UUID, staff_id: uuid.UUID) -> Staff | None:
    return await Staff.get_or_none(id=staff_id, organization_id=organization_id)


async def list_staff(organization_id: uuid.UUID) -> list[Staff]:
    return await Staff.filter(organization_id=organization_id).order_by("id")


async def count_active_owners(organization_id: uuid.UUID) -> int:
    return await Staff.filter(
        organization_id=organization_id, role=Role.OWNER, is_active=True
    ).count()


async def create_staff(
    organization_id: uuid.UUID,
    email: str,
    name: str,
    role: Role,
    password_hash: str,
    conn: BaseDBAsyncClient,
) -> Staff:
    return await Staff.create(
        organization_id=organization_id,
        email=email,
        name=name,
        role=role,
        password_hash=password_hash,
        using_db=conn,
    )


async def save_staff(
    staff: Staff, fields: list[str], conn: BaseDBAsyncClient | None = None
) -> None:
    await staff.save(update_fields=fields, using_db=conn)


async def create_session(staff: Staff, token_hash: str, expires_at: dt.datetime) -> StaffSession:
    return await StaffSession.create(staff=staff, token_hash=token_hash, expires_at=expires_at)


async def revoke_session(token_hash: str, now: dt.datetime) -> None:
    await StaffSession.filter(token_hash=token_hash, revoked_at=None).update(revoked_at=now)


async def revoke_sessions_of(
    staff_id: uuid.UUID, now: dt.datetime, conn: BaseDBAsyncClient
) -> None:
    await (
        StaffSession.filter(staff_id=staff_id, revoked_at=None)
        .using_db(conn)
        .update(revoked_at=now)
    )


async def delete_sessions_expired_before(organization_id: uuid.UUID, before: dt.datetime) -> int:
    # Through the staff ids: a DELETE cannot join, and the ids of one organization are few.
    staff_ids = await Staff.filter(organization_id=organization_id).values_list("id", flat=True)
    if not staff_ids:
        return 0
    return await StaffSession.filter(staff_id__in=list(staff_ids), expires_at__lt=before).delete()


async def create_api_key(
    organization_id: uuid.UUID,
    name: str,
    prefix: str,
    key_hash: str,
    scopes: list[str],
    conn: BaseDBAsyncClient,
) -> ApiKey:
    return await ApiKey.create(
        organization_id=organization_id,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        scopes=scopes,
        using_db=conn,
    )


async def api_key_of(organization_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return await ApiKey.get_or_none(id=key_id, organization_id=organization_id)


async def save_api_key(key: ApiKey, fields: list[str], conn: BaseDBAsyncClient) -> None:
    await key.save(update_fields=fields, using_db=conn)


async def list_api_keys(organization_id: uuid.UUID) -> list[ApiKey]:
    return await ApiKey.filter(organization_id=organization_id).order_by("id")


async def live_api_key(key_hash: str) -> ApiKey | None:
    """The unrevoked API key with this digest (the credential check of every POS request)."""
    return await ApiKey.get_or_none(key_hash=key_hash, revoked_at=None)


async def live_session(token_hash: str, now: dt.datetime) -> StaffSession | None:
    """The unexpired, signed-in session with this digest, of active staff, with its staff."""
    return (
        await StaffSession.filter(
            token_hash=token_hash, revoked_at=None, expires_at__gt=now, staff__is_active=True
        )
        .select_related("staff")
        .first()
    )
