"""Organizations, their stores and signup forms, and the bootstrap of a new tenant."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from tortoise.transactions import in_transaction

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
from app.models.audit import AuditAction
from app.models.organization import Organization, SignupChannel, SignupForm, Store
from app.models.staff import Role, Staff
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
    async with in_transaction() as conn:
        org = await Organization.create(
            name=org_name.strip(),
            default_region=default_region.upper(),
            timezone=timezone,
            using_db=conn,
        )
        owner = await Staff.create(
            organization=org,
            email=email,
            role=Role.OWNER,
            password_hash=hash_password(password),
            using_db=conn,
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
    return await Organization.get(id=principal.organization_id)


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
    async with in_transaction() as conn:
        await org.save(using_db=conn)
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
    if await Store.exists(organization_id=principal.organization_id, code=code):
        raise DomainError(Code.DUPLICATE, "A store with this code exists.", "code")
    return await Store.create(
        organization_id=principal.organization_id, name=name.strip(), code=code, online=online
    )


async def list_stores(principal: Principal) -> list[Store]:
    if principal.kind is not PrincipalKind.API_KEY:
        principal.require(Operation.CUSTOMER_READ)
    return await Store.filter(organization_id=principal.organization_id).order_by("name", "id")


async def get_store(principal: Principal, store_id: uuid.UUID) -> Store | None:
    return await Store.get_or_none(id=store_id, organization_id=principal.organization_id)


async def create_signup_form(principal: Principal, name: str, channel: SignupChannel) -> SignupForm:
    principal.require(Operation.STORE_MANAGE)
    if not name.strip():
        raise DomainError(Code.REQUIRED, "The name cannot be empty.", "name")
    if await SignupForm.exists(organization_id=principal.organization_id, name=name.strip()):
        raise DomainError(Code.DUPLICATE, "A signup form with this name exists.", "name")
    return await SignupForm.create(
        organization_id=principal.organization_id, name=name.strip(), channel=channel
    )


async def list_signup_forms(principal: Principal) -> list[SignupForm]:
    principal.require(Operation.CUSTOMER_READ)
    return await SignupForm.filter(organization_id=principal.organization_id).order_by("name")
