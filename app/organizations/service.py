"""Organizations, their stores and signup forms, and the bootstrap of a new tenant."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from app.audit import service as audit
from app.auth import service as auth
from app.auth.errors import AccountErrorCode
from app.auth.permissions import Operation
from app.auth.principal import Principal, PrincipalKind
from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.identifiers import (
    InvalidIdentifier,
    is_supported_region,
    is_valid_timezone,
    normalize_email,
)
from app.core.secrets import hash_password
from app.core.transactions import atomic
from app.models.audit import AuditAction
from app.models.organization import Organization, SignupChannel, SignupForm, Store
from app.models.staff import Staff
from app.organizations import repository
from app.organizations.errors import OrganizationErrorCode as Code
from app.organizations.profile import forget_profile


@dataclass(frozen=True)
class Bootstrap:
    organization: Organization
    owner: Staff
    token: str
    # Only set when the caller did not choose one: shown once, never stored in clear.
    generated_password: str | None


def _check_settings(name: str | None, region: str | None, timezone: str | None) -> None:
    errors: list[FieldError] = []
    if name is not None and not name.strip():
        errors.append(FieldError(Code.REQUIRED, "The name cannot be empty.", "name"))
    if region is not None and not is_supported_region(region):
        errors.append(
            FieldError(Code.INVALID_REGION, "Unknown phone region code.", "defaultRegion")
        )
    if timezone is not None and not is_valid_timezone(timezone):
        errors.append(FieldError(Code.INVALID_TIMEZONE, "Unknown time zone.", "timezone"))
    if errors:
        raise ValidationFailed(errors)


async def bootstrap(
    org_name: str,
    owner_email: str,
    owner_password: str | None,
    *,
    default_region: str = "US",
    timezone: str = "UTC",
    token_ttl_seconds: int,
) -> Bootstrap:
    """Create an organization with its first owner and sign the owner in."""
    _check_settings(org_name, default_region, timezone)
    try:
        email = normalize_email(owner_email)
    except InvalidIdentifier as exc:
        raise DomainError(AccountErrorCode.INVALID_EMAIL, exc.message, "ownerEmail") from None
    generated = None if owner_password else secrets.token_urlsafe(18)
    password = owner_password or generated or ""
    if len(password) < 10:
        raise DomainError(
            AccountErrorCode.PASSWORD_TOO_SHORT, "Password must have 10+ characters.", "password"
        )
    async with atomic() as conn:
        org = await repository.create(org_name.strip(), default_region.upper(), timezone, conn)
        owner = await auth.create_owner(
            Principal.system(org.id), email, hash_password(password), conn
        )
        await audit.record(
            Principal.system(org.id),
            AuditAction.ORGANIZATION_CREATED,
            "organization",
            org.id,
            {"owner": str(owner.id)},
            using_db=conn,
        )
    issued = await auth.issue_token(owner, token_ttl_seconds)
    return Bootstrap(org, owner, issued.token, generated)


async def get_organization(principal: Principal) -> Organization:
    # Any credential of the organization may read its own name and settings.
    return await repository.get(principal.organization_id)


async def system_principals() -> list[Principal]:
    """One system principal per organization, for schedules that fan out over every tenant.

    The one cross-organization read: it yields credentials, never data, and each job it feeds
    then works inside one organization.
    """
    return [Principal.system(org_id) for org_id in await repository.all_ids()]


async def organization_exists(principal: Principal) -> bool:
    """For jobs given an organization id: has it been deleted since the job was asked for?"""
    principal.require_system()
    return await repository.exists(principal.organization_id)


async def update_organization(
    principal: Principal,
    *,
    name: str | None = None,
    default_region: str | None = None,
    timezone: str | None = None,
) -> Organization:
    principal.require(Operation.ORGANIZATION_MANAGE)
    _check_settings(name, default_region, timezone)
    org = await get_organization(principal)
    changed: dict[str, str] = {}
    if name is not None:
        org.name = name.strip()
        changed["name"] = "changed"
    if default_region is not None:
        org.default_region = default_region.upper()
        changed["defaultRegion"] = org.default_region
    if timezone is not None:
        org.timezone = timezone
        changed["timezone"] = timezone
    async with atomic() as conn:
        await repository.save(org, conn)
        if changed:
            await audit.record(
                principal,
                AuditAction.ORGANIZATION_UPDATED,
                "organization",
                org.id,
                changed,
                using_db=conn,
            )
    forget_profile(org.id)
    return org


async def create_store(principal: Principal, name: str, code: str, online: bool) -> Store:
    principal.require(Operation.STORE_MANAGE)
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError(Code.REQUIRED, "The name cannot be empty.", "name"))
    if not code.strip():
        errors.append(FieldError(Code.REQUIRED, "The code cannot be empty.", "code"))
    if errors:
        raise ValidationFailed(errors)
    code = code.strip()
    if await repository.store_exists(principal.organization_id, code=code):
        raise DomainError(Code.DUPLICATE, "A store with this code exists.", "code")
    return await repository.create_store(principal.organization_id, name.strip(), code, online)


async def list_stores(principal: Principal) -> list[Store]:
    _require_store_read(principal)
    return await repository.stores(principal.organization_id)


async def get_store(principal: Principal, store_id: uuid.UUID) -> Store | None:
    _require_store_read(principal)
    return await repository.store(principal.organization_id, store_id)


async def stores_by_ids(principal: Principal, ids: list[uuid.UUID]) -> list[Store]:
    """The GraphQL data loader's batch: the stores among `ids` that belong to the organization."""
    _require_store_read(principal)
    return await repository.stores_by_ids(principal.organization_id, ids)


def _require_store_read(principal: Principal) -> None:
    # A POS key names its store on every order, whatever its scopes; staff need customer:read.
    if principal.kind is not PrincipalKind.API_KEY:
        principal.require(Operation.CUSTOMER_READ)


async def create_signup_form(principal: Principal, name: str, channel: SignupChannel) -> SignupForm:
    principal.require(Operation.STORE_MANAGE)
    if not name.strip():
        raise DomainError(Code.REQUIRED, "The name cannot be empty.", "name")
    if await repository.signup_form_exists(principal.organization_id, name=name.strip()):
        raise DomainError(Code.DUPLICATE, "A signup form with this name exists.", "name")
    return await repository.create_signup_form(principal.organization_id, name.strip(), channel)


async def list_signup_forms(principal: Principal) -> list[SignupForm]:
    principal.require(Operation.CUSTOMER_READ)
    return await repository.signup_forms(principal.organization_id)


async def signup_forms_by_ids(principal: Principal, ids: list[uuid.UUID]) -> list[SignupForm]:
    """The GraphQL data loader's batch: the forms among `ids` that belong to the organization."""
    principal.require(Operation.CUSTOMER_READ)
    return await repository.signup_forms_by_ids(principal.organization_id, ids)


async def find_by_slug(slug: str) -> Organization | None:
    """The organization whose public privacy page is `/privacy/<slug>`."""
    if not slug or len(slug) > 64:
        return None
    return await repository.by_slug(slug)
