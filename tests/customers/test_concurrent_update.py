"""A profile update writes only what it changed: a wallet balance, order statistics or an SMS
STOP committed by another transaction while the update waited is kept, not put back."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from app.customers import service
from app.customers.fields import CustomerInput
from app.models.customer import Customer, SmsState
from tests.conftest import Tenant
from tests.factories import owner_of


@pytest.mark.postgres_only
async def test_an_update_that_waited_for_a_row_lock_keeps_the_other_writers_columns(
    tenant: Tenant, database_url: str
) -> None:
    owner = owner_of(tenant)
    created = await service.create_customer(
        owner, CustomerInput(email="ada@example.com", phone="+12025550143", sms_opt_in=True)
    )
    other = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        # Another transaction (an order, a STOP) holds the row and moves its wallet, its
        # statistics and its SMS state; the update reads the old row, then waits for the lock.
        writer = other.transaction()
        await writer.start()
        await other.execute(
            "UPDATE customer SET points_balance = 120, lifetime_points = 120, order_count = 1,"
            " sms_state = 'UNSUBSCRIBED' WHERE id = $1",
            uuid.UUID(str(created.id)),
        )
        update = asyncio.create_task(
            service.update_customer(owner, created.id, CustomerInput(first_name="Ada"))
        )
        await asyncio.sleep(0.5)
        assert not update.done(), "the update should be waiting for the row lock"
        await writer.commit()
        updated = await asyncio.wait_for(update, timeout=10)
    finally:
        await other.close()
    assert updated.first_name == "Ada"
    row = await Customer.get(id=created.id)
    assert row.first_name == "Ada"
    assert (row.points_balance, row.lifetime_points, row.order_count) == (120, 120, 1)
    assert row.sms_state is SmsState.UNSUBSCRIBED
