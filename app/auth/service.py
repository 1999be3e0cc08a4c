"""Staff sign-in, staff management and API keys."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from app.audit import service as audit
from app.auth import repository
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
from app.core.transactions import atomic
from app.models.api_key import ApiKey
from app.models.audit import AuditAction
from app.models.staff import Role, Staff

# Expired sessions are kept a while so "signed out because expired" can still be told apart.
SESSION_RETENTION = timedelta(days=7)


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
    await repository.create_session(
        staff, secret_digest(token), utcnow() + timedelta(seconds=ttl_seconds)
    )
    return IssuedToken(token=token, staff=staff, expires_in=ttl_seconds)


async def logout(token: str) -> None:
    digest = secret_digest(token)
    await repository.revoke_session(digest, utcnow())
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
    if await repository.staff_email_taken(principal.organization_id, normalized):
        raise DomainError(
            AccountErrorCode.DUPLICATE_EMAIL,
            "A staff account with this email exists in this organization.",
            "email",
        )
    async with atomic() as conn:
        staff = await repository.create_staff(
            principal.organization_id, normalized, name.strip(), role, hash_password(password), conn
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
    staff = await repository.staff_of(principal.organization_id, staff_id)
    if staff is None:
        raise DomainError(AccountErrorCode.NOT_FOUND, "No such staff member.", "id")
    return staff


async def _ensure_another_owner(principal: Principal, staff: Staff) -> None:
    # Only taking away an *active* owner can leave the organization without one.
    if staff.role is not Role.OWNER or not staff.is_active:
        return
    owners = await repository.count_active_owners(principal.organization_id)
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
    async with atomic() as conn:
        staff.role = role
        await repository.save_staff(staff, ["role", "updated_at"], conn)
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
    async with atomic() as conn:
        staff.is_active = False
        await repository.save_staff(staff, ["is_active", "updated_at"], conn)
        await repository.revoke_sessions_of(staff.id, utcnow(), conn)
        await audit.record(
            principal, AuditAction.STAFF_DEACTIVATED, "staff", staff.id, using_db=conn
        )
    credential_cache.forget_subject(staff.id)
    return staff


async def list_staff(principal: Principal) -> list[Staff]:
    principal.require(Operation.STAFF_MANAGE)
    return await repository.list_staff(principal.organization_id)


async def viewer_staff(principal: Principal) -> Staff | None:
    """The signed-in staff member's own account; None for API keys and the system."""
    if principal.role is None or principal.subject_id is None:
        return None
    return await repository.staff_of(principal.organization_id, principal.subject_id)


async def create_owner(
    principal: Principal, email: str, password_hash: str, conn: BaseDBAsyncClient
) -> Staff:
    """The first owner of a new organization, in the transaction that creates it."""
    principal.require_system()
    if await repository.staff_email_taken(principal.organization_id, email):
        raise DomainError(
            AccountErrorCode.DUPLICATE_EMAIL,
            "A staff account with this email exists in this organization.",
            "email",
        )
    return await repository.create_staff(
        principal.organization_id, email, "", Role.OWNER, password_hash, conn
    )


async def purge_expired_sessions(principal: Principal) -> int:
    """Delete the organization's sessions that expired more than a week ago. Safe to run twice."""
    principal.require_system()
    return await repository.delete_sessions_expired_before(
        principal.organization_id, utcnow() - SESSION_RETENTION
    )


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
    async with atomic() as conn:
        key = await repository.create_api_key(
            principal.organization_id,
            name.strip(),
            secret[:10],
            secret_digest(secret),
            [s.value for s in scopes],
            conn,
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
    key = await repository.api_key_of(principal.organization_id, key_id)
    if key is None:
        raise DomainError(AccountErrorCode.NOT_FOUND, "No such API key.", "id")
    if key.revoked_at is None:
        async with atomic() as conn:
            key.revoked_at = utcnow()
            await repository.save_api_key(key, ["revoked_at"], conn)
            await audit.record(
                principal, AuditAction.API_KEY_REVOKED, "api_key", key.id, using_db=conn
            )
    credential_cache.forget(key.key_hash)
    return key


async def list_api_keys(principal: Principal) -> list[ApiKey]:
    principal.require(Operation.API_KEY_MANAGE)
    return await repository.list_api_keys(principal.organization_id)
