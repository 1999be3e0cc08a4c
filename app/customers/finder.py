"""Finding one customer by one key, with identifiers normalized as on write.

Shared by the customer queries and the POS wallet, which check their own permissions.
"""

from __future__ import annotations

import uuid

from app.auth.principal import Principal
from app.core.clock import utcnow
from app.core.errors import DomainError, ValidationFailed
from app.core.unset import UNSET
from app.customers import lookup
from app.customers.errors import CustomerErrorCode as Code
from app.customers.fields import CustomerInput, normalize
from app.models.customer import Customer
from app.organizations.profile import load_profile


async def organization_region(principal: Principal) -> str:
    return (await load_profile(principal.organization_id)).default_region


async def find_customer(
    principal: Principal,
    *,
    customer_id: uuid.UUID | None = None,
    email: str | None = None,
    phone: str | None = None,
    external_reference: str | None = None,
    erased_is_unavailable: bool = False,
) -> Customer | None:
    """The lookup itself, for callers that checked their own permission (the POS wallet)."""
    given = [k for k in (customer_id, email, phone, external_reference) if k is not None]
    if len(given) != 1:
        raise DomainError(Code.INVALID, "Give exactly one of id, email, phone, externalReference.")
    if customer_id is not None:
        if erased_is_unavailable:
            return await lookup.by_id_or_unavailable(principal, customer_id)
        return await lookup.by_id(principal, customer_id)
    out = normalize(
        CustomerInput(
            email=UNSET if email is None else email,
            phone=UNSET if phone is None else phone,
        ),
        await organization_region(principal),
        utcnow().date(),
    )
    if out.errors:
        raise ValidationFailed(out.errors)
    return await lookup.by_identifier(
        principal,
        email=out.values.get("email"),
        phone=out.values.get("phone"),
        external_reference=external_reference.strip() if external_reference else None,
    )
