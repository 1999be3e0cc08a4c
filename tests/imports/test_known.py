"""The snapshot of an organization's identifiers that spares a first load its lookups."""

from __future__ import annotations

import numpy as np
import pytest

from app.auth.principal import Principal
from app.config import Settings
from app.customers.fields import CustomerInput
from app.customers.service import create_customer
from app.imports import runner
from app.imports.known import KnownIdentifiers, snapshot
from app.imports.options import ImportPolicy
from app.imports.seen import key_hash
from app.models.customer import Customer
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import counts, csv_text, import_file, row_errors


@pytest.fixture
def owner(tenant: Tenant) -> Principal:
    return owner_of(tenant)


def test_may_exist_keeps_the_keys_whose_hash_is_known() -> None:
    known = KnownIdentifiers(
        np.asarray([key_hash(("email", "a@example.com")), key_hash(("phone", "+1"))])
    )
    keys = [("email", "a@example.com"), ("email", "b@example.com"), ("phone", "+1")]
    assert known.may_exist(keys) == [("email", "a@example.com"), ("phone", "+1")]
    assert KnownIdentifiers(np.empty(0, dtype=np.int64)).may_exist(keys) == []


async def test_snapshot_holds_every_identifier_of_every_status(
    owner: Principal, tenant: Tenant
) -> None:
    ann = await create_customer(
        owner, CustomerInput(email="ann@example.com", external_reference="A-1")
    )
    await create_customer(owner, CustomerInput(phone="+12025550143"))
    await Customer.filter(id=ann.id).update(status="ARCHIVED")
    known = await snapshot(tenant.organization_id, file_rows=10)
    assert known is not None
    assert len(known) == 3
    keys = [("email", "ann@example.com"), ("external_reference", "A-1"), ("phone", "+12025550143")]
    assert known.may_exist([*keys, ("email", "bob@example.com")]) == keys
    # An organization more than twice the size of the file is looked up batch by batch.
    await create_customer(owner, CustomerInput(external_reference="C-3"))
    assert await snapshot(tenant.organization_id, file_rows=1) is None


async def test_a_customer_created_after_the_snapshot_is_matched_not_duplicated(
    owner: Principal, settings: Settings, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the snapshot opens: a customer the API creates after the job read the
    organization's identifiers. The unique index refuses the second holder, the batch is
    retried with every identifier looked up, and the row updates the customer."""
    existing = await create_customer(owner, CustomerInput(email="ann@example.com"))

    async def taken_before_the_customer_existed(*_: object) -> KnownIdentifiers:
        return KnownIdentifiers(np.empty(0, dtype=np.int64))

    monkeypatch.setattr(runner, "known_identifiers", taken_before_the_customer_existed)
    job = await import_file(
        owner,
        settings,
        csv_text("Email,First Name", "ann@example.com,Ann", "bob@example.com,Bob"),
        policy=ImportPolicy.UPSERT,
    )
    assert job.status.value == "SUCCEEDED", await row_errors(job)
    assert (counts(job)["created"], counts(job)["updated"]) == (1, 1)
    rows = await Customer.filter(organization_id=tenant.organization_id).order_by("email")
    assert [(c.email, c.first_name) for c in rows] == [
        ("ann@example.com", "Ann"),
        ("bob@example.com", "Bob"),
    ]
    assert rows[0].id == existing.id
