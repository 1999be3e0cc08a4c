"""Organizations with synthetic history from `loyalty seed`, and persona generation helpers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, cast

from app.auth.principal import Principal, PrincipalKind
from app.models.customer import Customer, CustomerStatus
from app.models.order import Order, OrderItem, OrderStatus
from app.models.organization import Organization
from app.models.persona import PersonaAssignment, PersonaSet
from app.models.staff import Role
from app.models.wallet import LedgerEntry, LedgerKind
from app.personas import service
from app.seed.writer import seed_organization
from tests.conftest import Tenant, make_tenant

# The moment the synthetic histories end, and the moment personas are measured from.
AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
SEED = 11


def staff(tenant: Tenant, role: Role = Role.OWNER) -> Principal:
    return Principal(
        organization_id=tenant.organization_id,
        kind=PrincipalKind.STAFF,
        subject_id=tenant.owner_id,
        role=role,
    )


async def set_program(organization_id: uuid.UUID, **program: Any) -> None:
    org = await Organization.get(id=organization_id)
    settings: dict[str, Any] = dict(org.settings or {})
    settings["program"] = {**(settings.get("program") or {}), **program}
    org.settings = settings
    await org.save(update_fields=["settings"])
    from app.organizations.profile import forget_profile

    forget_profile(organization_id)


async def set_persona_rules(organization_id: uuid.UUID, **rules: Any) -> None:
    org = await Organization.get(id=organization_id)
    settings: dict[str, Any] = dict(org.settings or {})
    settings["personas"] = {**(settings.get("personas") or {}), **rules}
    org.settings = settings
    await org.save(update_fields=["settings"])


async def seeded_tenant(
    customers: int = 2_000,
    *,
    seed: int = SEED,
    name: str = "Acme",
    birthday_reward: bool = True,
    profile: str = "planted",
    orders_per_customer: float = 5.0,
) -> Tenant:
    """A tenant with `customers` seeded customers and their history, eligible by default."""
    tenant = await make_tenant(name)
    await set_program(tenant.organization_id, birthday_reward_enabled=birthday_reward)
    await seed_more(
        tenant, customers, seed=seed, profile=profile, orders_per_customer=orders_per_customer
    )
    return tenant


async def seed_more(
    tenant: Tenant,
    customers: int,
    *,
    seed: int = SEED,
    profile: str = "planted",
    orders_per_customer: float = 5.0,
) -> None:
    await seed_organization(
        tenant.organization_id,
        customers,
        orders_per_customer,
        seed,
        now=AS_OF,
        progress=None,
        segments=False,
        profile=profile,
    )


async def generate(
    tenant: Tenant, *, force: bool = False, as_of: dt.datetime = AS_OF
) -> PersonaSet:
    """Request a regeneration as the owner and run it as the worker would."""
    requested = await service.request_regeneration(staff(tenant), force=force)
    done = await service.run_generation(staff(tenant), requested.id, as_of=as_of)
    assert done is not None
    return done


async def assignments(persona_set_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    rows = await PersonaAssignment.filter(persona_set_id=persona_set_id).values_list(
        "customer_id", "persona_identity_id"
    )
    return {cast(uuid.UUID, c): cast(uuid.UUID, p) for c, p in rows}


async def planted_groups(organization_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """The seed's hidden label of every customer (a test label, never a feature)."""
    rows = await Customer.filter(organization_id=organization_id).values_list("id", "traits")
    out: dict[uuid.UUID, str] = {}
    for customer_id, traits in rows:
        if isinstance(traits, dict) and isinstance(traits.get("seedGroup"), str):
            out[cast(uuid.UUID, customer_id)] = traits["seedGroup"]
    return out


async def add_buyer(
    organization_id: uuid.UUID,
    number: int,
    *,
    orders: int = 1,
    total: str = "20.00",
    days_ago: float = 10.0,
    birthday: dt.date | None = None,
    city: str | None = None,
    country: str | None = None,
    category: str | None = "groceries",
    tags: tuple[str, ...] = (),
    redeem: int = 0,
    status: CustomerStatus = CustomerStatus.ACTIVE,
    gap_days: float = 7.0,
    as_of: dt.datetime = AS_OF,
    referred_by: uuid.UUID | None = None,
    first_name: str = "",
    email: str | None = None,
) -> Customer:
    """A customer with `orders` completed orders of `total`, the last `days_ago` before
    `as_of`, `gap_days` apart; an EARN per order and one REDEEM of `redeem` points."""
    placed = [as_of - dt.timedelta(days=days_ago + i * gap_days) for i in range(orders)]
    amount = Decimal(total)
    customer = await Customer.create(
        organization_id=organization_id,
        status=status,
        first_name=first_name or f"Buyer{number}",
        email=email,
        birthday=birthday,
        birthday_monthday=birthday.month * 100 + birthday.day if birthday else None,
        city=city,
        country=country,
        referred_by_id=referred_by,
        order_count=orders,
        total_spent=amount * orders,
        first_order_at=min(placed) if placed else None,
        last_order_at=max(placed) if placed else None,
    )
    for i, at in enumerate(placed):
        order = await Order.create(
            organization_id=organization_id,
            customer=customer,
            receipt_number=f"T-{number}-{i}",
            total=amount,
            placed_at=at,
            status=OrderStatus.COMPLETED,
            points_earned=int(amount),
        )
        await OrderItem.create(
            order=order, sku=f"SKU-{i}", category=category, tags=list(tags), price=amount
        )
        await LedgerEntry.create(
            organization_id=organization_id,
            customer=customer,
            kind=LedgerKind.EARN,
            points=int(amount),
            reason="order",
            actor_kind="SYSTEM",
            order=order,
        )
    if redeem:
        await LedgerEntry.create(
            organization_id=organization_id,
            customer=customer,
            kind=LedgerKind.REDEEM,
            points=-redeem,
            reason="redeem",
            actor_kind="SYSTEM",
        )
    return customer
