"""Import matching follows merges: an old identifier of a merged customer finds the survivor."""

from __future__ import annotations

from app.config import Settings
from app.customers.fields import CustomerInput
from app.customers.service import create_customer
from app.merges.service import MergeRequest, merge_customers
from app.models.customer import Customer
from app.models.imports import ImportKind, ImportStatus
from app.models.merge import CustomerAlias
from app.models.order import Order
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import counts, csv_text, import_file


async def merged_pair(tenant: Tenant) -> tuple[Customer, Customer]:
    owner = owner_of(tenant)
    survivor = await create_customer(owner, CustomerInput(email="ada@example.com"))
    merged = await create_customer(
        owner, CustomerInput(email="ada.l@example.com", external_reference="c-9")
    )
    await merge_customers(owner, MergeRequest(survivor.id, [merged.id]))
    return survivor, merged


async def test_a_customer_row_with_an_old_identifier_updates_the_survivor(
    tenant: Tenant, settings: Settings
) -> None:
    survivor, _ = await merged_pair(tenant)
    job = await import_file(
        owner_of(tenant),
        settings,
        csv_text("Email,First Name", "ADA.L@example.com,Ada"),
    )
    assert job.status is ImportStatus.SUCCEEDED
    assert counts(job)["created"] == 0
    assert counts(job)["updated"] == 1
    after = await Customer.get(id=survivor.id)
    # The survivor gets the row's other values; the alias stays an alias.
    assert (after.first_name, after.email) == ("Ada", "ada@example.com")
    assert await CustomerAlias.exists(value="ada.l@example.com")


async def test_an_order_row_for_a_merged_customer_goes_to_the_survivor(
    tenant: Tenant, settings: Settings
) -> None:
    survivor, merged = await merged_pair(tenant)
    job = await import_file(
        owner_of(tenant),
        settings,
        csv_text(
            "Customer ID,Email,Order Number,Order Date,Total",
            "c-9,,R-1,2026-01-15,10.00",
            ",ada.l@example.com,R-2,2026-01-16,12.00",
        ),
        kind=ImportKind.ORDERS,
    )
    assert (job.status, job.created_count, job.suppressed_count) == (
        ImportStatus.SUCCEEDED,
        2,
        0,
    )
    holders = {o.customer_id for o in await Order.filter(organization_id=tenant.organization_id)}
    assert holders == {survivor.id}
    assert merged.id not in holders
