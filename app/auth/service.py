"""Staff sign-in, staff management and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from tortoise.transactions import in_transaction

from app.audit import service as audit
from app.auth.credentials import cache as credential_cache
from app.auth.errors import AccountErrorCode
from app.auth.permissions import ApiKeyScope, Operation, known_scopes
from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.identifiers import InvalidIdentifier, normalize_email
from app.core.secrets import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_api_key,
    new_staff_token,
    secret_digest,
)
from app.models.api_key import ApiKey
from app.models.audit import AuditAction
from app.models.staff import Role, Staff, StaffSession


@dataclass(frozen=True)
class IssuedToken:
    token: str
    staff: Staff
    expires_in: int


@dataclass(frozen=True)
class IssuedApiKey:
    key: str
    api_key: ApiKey


def _staff_email(raw: str) -> str:
    try:
        return normalize_email(raw)
    except InvalidIdentifier as exc:
        raise DomainError(AccountErrorCode.INVALID_EMAIL, exc.message, "email") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            AccountErrorCode.PASSWORD_TOO_SHORT,
            f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
            "password",
        )


async def issue_token(staff: Staff, ttl_seconds: int) -> IssuedToken:
    token = new_staff_token()
    await StaffSession.create(
        staff=staff,
        token_hash=secret_digest(token),
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    return IssuedToken(token=token, staff=staff, expires_in=ttl_seconds)


async def logout(token: str) -> None:
    digest = secret_digest(token)
    await StaffSession.filter(token_hash=digest, revoked_at=None).update(revoked_at=utcnow())
    credential_cache.forget(digest)


async def create_staff(
    principal: Principal, email: str, name: str, role: Role, password: str
) -> Staff:
    principal.require(Operation.STAFF_MANAGE)
    if role is Role.OWNER and principal.role is not Role.OWNER:
        raise DomainError(
            AccountErrorCode.ROLE_NOT_GRANTABLE, "Only an owner can add an owner.", "role"
        )
    normalized = _staff_email(email)
    _check_password(password)
    # Only this organization's staff count: whether the email is staff elsewhere is none of
    # this tenant's business (sign-in tells the organizations apart).
    if await Staff.exists(organization_id=principal.organization_id, email=normalized):
        raise DomainError(
            AccountErrorCode.DUPLICATE_EMAIL,
            "A staff account with this email exists in this organization.",
            "email",
        )
    async with in_transaction() as conn:
        staff = await Staff.create(
            organization_id=principal.organization_id,
            email=normalized,
            name=name.strip(),
            role=role,
            password_hash=hash_password(password),
            using_db=conn,
        )
        await audit.record(
            principal,
            AuditAction.STAFF_CREATED,
            "staff",
            staff.id,
            {"role": role.value},
            using_db=conn,
        )
    return staff


async def _staff_of(principal: Principal, staff_id: uuid.UUID) -> Staff:
    staff = await Staff.get_or_none(id=staff_id, organization_id=principal.organization_id)
    if staff is None:
        raise DomainError(AccountErrorCode.NOT_FOUND, "No such staff member.", "id")
    return staff


async def _ensure_another_owner(principal: Principal, staff: Staff) -> None:
    # Only taking away an *active* owner can leave the organization without one.
    if staff.role is not Role.OWNER or not staff.is_active:
        return
    owners = await Staff.filter(
        organization_id=principal.organization_id, role=Role.OWNER, is_active=True
    ).count()
    if owners <= 1:
        raise DomainError(
            AccountErrorCode.LAST_OWNER, "An organization keeps at least one active owner."
        )


async def change_role(principal: Principal, staff_id: uuid.UUID, role: Role) -> Staff:
    principal.require(Operation.STAFF_MANAGE)
    staff = await _staff_of(principal, staff_id)
    touches_owner = Role.OWNER in (role, staff.role)
    if touches_owner and principal.role is not Role.OWNER:
        raise DomainError(
            AccountErrorCode.ROLE_NOT_GRANTABLE, "Only an owner can change an owner.", "role"
        )
    if staff.role is role:
        return staff
    if role is not Role.OWNER:
        await _ensure_another_owner(principal, staff)
    previous = staff.role
    async with in_transaction() as conn:
        staff.role = role
        await staff.save(update_fields=["role", "updated_at"], using_db=conn)
        await audit.record(
            principal,
            AuditAction.STAFF_ROLE_CHANGED,
            "staff",
            staff.id,
            {"from": previous.value, "to": role.value},
            using_db=conn,
        )
    credential_cache.forget_subject(staff.id)
    return staff


async def deactivate_staff(principal: Principal, staff_id: uuid.UUID) -> Staff:
    principal.require(Operation.STAFF_MANAGE)
    staff = await _staff_of(principal, staff_id)
    if staff.role is Role.OWNER and principal.role is not Role.OWNER:
        raise DomainError(
            AccountErrorCode.ROLE_NOT_GRANTABLE, "Only an owner can deactivate an owner.", "id"
        )
    if not staff.is_active:
        return staff
    await _ensure_another_owner(principal, staff)
    async with in_transaction() as conn:
        staff.is_active = False
        await staff.save(update_fields=["is_active", "updated_at"], using_db=conn)
        await (
            StaffSession.filter(staff_id=staff.id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=utcnow())
        )
        await audit.record(
            principal, AuditAction.STAFF_DEACTIVATED, "staff", staff.id, using_db=conn
        )
    credential_cache.forget_subject(staff.id)
    return staff


async def list_staff(principal: Principal) -> list[Staff]:
    principal.require(Operation.STAFF_MANAGE)
    return await Staff.filter(organization_id=principal.organization_id).order_by("id")


def parse_scopes(raw: Iterable[str]) -> list[ApiKeyScope]:
    scopes: list[ApiKeyScope] = []
    for item in raw:
        value = item.strip().lower()
        if not value:
            continue
        known = known_scopes([value])
        if not known:
            raise DomainError(AccountErrorCode.INVALID_SCOPE, "Unknown API key scope.", "scopes")
        if known[0] not in scopes:
            scopes.append(known[0])
    if not scopes:
        raise DomainError(AccountErrorCode.INVALID_SCOPE, "Give at least one scope.", "scopes")
    return scopes


async def create_api_key(
    principal: Principal, name: str, scopes: Sequence[ApiKeyScope]
) -> IssuedApiKey:
    principal.require(Operation.API_KEY_MANAGE)
    if not name.strip():
        raise DomainError(AccountErrorCode.INVALID, "Name the key.", "name")
    if not scopes:
        raise DomainError(AccountErrorCode.INVALID_SCOPE, "Give at least one scope.", "scopes")
    secret = new_api_key()
    async with in_transaction() as conn:
        key = await ApiKey.create(
            organization_id=principal.organization_id,
            name=name.strip(),
            prefix=secret[:10],
            key_hash=secret_digest(secret),
            scopes=[s.value for s in scopes],
            using_db=conn,
        )
        await audit.record(
            principal,
            AuditAction.API_KEY_CREATED,
            "api_key",
            key.id,
            {"scopes": [s.value for s in scopes]},
            using_db=conn,
        )
    return IssuedApiKey(key=secret, api_key=key)


async def revoke_api_key(principal: Principal, key_id: uuid.UUID) -> ApiKey:
    principal.require(Operation.API_KEY_MANAGE)
    key = await ApiKey.get_or_none(id=key_id, organization_id=principal.organization_id)
    if key is None:
        raise DomainError(AccountErrorCode.NOT_FOUND, "No such API key.", "id")
    if key.revoked_at is None:
        async with in_transaction() as conn:
            key.revoked_at = utcnow()
            await key.save(update_fields=["revoked_at"], using_db=conn)
            await audit.record(
                principal, AuditAction.API_KEY_REVOKED, "api_key", key.id, using_db=conn
            )
    credential_cache.forget(key.key_hash)
    return key


async def list_api_keys(principal: Principal) -> list[ApiKey]:
    principal.require(Operation.API_KEY_MANAGE)
    return await ApiKey.filter(organization_id=principal.organization_id).order_by("id")
