"""Finding one customer by one key, with identifiers normalized as on write.

Shared by the customer queries and the POS wallet, which check their own permissions.
"""

from __future__ import annotations

import uuid

from app.auth.principal import Principal
from app.core.errors import DomainError
from app.core.identifiers import InvalidIdentifier, normalize_email, normalize_phone
from app.customers.errors import CustomerErrorCode as Code
from app.customers.repository import visibility
from app.models.customer import Customer
from app.organizations.profile import load_profile


async def organization_region(principal: Principal) -> str:
    return (await load_profile(principal.organization_id)).default_region


async def normalized_identifier(
    principal: Principal,
    *,
    email: str | None = None,
    phone: str | None = None,
    external_reference: str | None = None,
) -> tuple[visibility.IdentifierColumn, str] | None:
    """The one identifier given, normalized as on write: (column, value); None if blank."""
    given = [k for k in (email, phone, external_reference) if k is not None]
    if len(given) != 1:
        raise DomainError(Code.INVALID, "Give exactly one of id, email, phone, externalReference.")
    if external_reference is not None:
        reference = external_reference.strip()
        return ("external_reference", reference) if reference else None
    raw = email if email is not None else phone
    if raw is None or not raw.strip():
        return None
    try:
        if email is not None:
            return "email", normalize_email(raw)
        return "phone", normalize_phone(raw, await organization_region(principal))
    except InvalidIdentifier as exc:
        code = Code.INVALID_EMAIL if email is not None else Code.INVALID_PHONE
        raise DomainError(code, exc.message, "email" if email is not None else "phone") from None


async def find_customer(
    principal: Principal,
    *,
    customer_id: uuid.UUID | None = None,
    email: str | None = None,
    phone: str | None = None,
    external_reference: str | None = None,
    erased_is_unavailable: bool = False,
) -> Customer | None:
    """The lookup itself, for callers that checked their own permission."""
    given = [k for k in (customer_id, email, phone, external_reference) if k is not None]
    if len(given) != 1:
        raise DomainError(Code.INVALID, "Give exactly one of id, email, phone, externalReference.")
    if customer_id is not None:
        if erased_is_unavailable:
            return await visibility.by_id_or_unavailable(principal, customer_id)
        return await visibility.by_id(principal, customer_id)
    key = await normalized_identifier(
        principal, email=email, phone=phone, external_reference=external_reference
    )
    if key is None:
        return None
    column, value = key
    return await visibility.by_identifier(principal, **{column: value})
