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


def test_a_row_with_any_known_identifier_is_looked_up_in_full() -> None:
    known = KnownIdentifiers(
        np.asarray([key_hash(("email", "a@example.com")), key_hash(("phone", "+1"))])
    )
    keys = [("email", "a@example.com"), ("email", "b@example.com"), ("phone", "+1")]
    assert known.may_exist(keys) == [True, False, True]
    rows = [
        (("external_reference", "X"), ("email", "a@example.com")),
        (("external_reference", "Y"), ("email", "b@example.com")),
        (("phone", "+1"),),
    ]
    assert known.to_look_up(rows) == [
        ("external_reference", "X"),
        ("email", "a@example.com"),
        ("phone", "+1"),
    ]
    assert KnownIdentifiers(np.empty(0, dtype=np.int64)).to_look_up(rows) == []


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
    assert known.may_exist([*keys, ("email", "bob@example.com")]) == [True, True, True, False]
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


async def stale(*identifiers: tuple[str, str]) -> KnownIdentifiers:
    return KnownIdentifiers(np.asarray([key_hash(k) for k in identifiers], dtype=np.int64))


async def test_create_only_still_sees_an_identifier_given_after_the_snapshot(
    owner: Principal, settings: Settings, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row matching a customer by a known identifier is checked against all of its
    identifiers, even with CREATE_ONLY, which writes nothing that a unique index could stop."""
    await create_customer(owner, CustomerInput(external_reference="X"))
    await create_customer(owner, CustomerInput(email="e@example.com"))

    async def before_the_email_was_given(*_: object) -> KnownIdentifiers:
        return await stale(("external_reference", "X"))

    monkeypatch.setattr(runner, "known_identifiers", before_the_email_was_given)
    job = await import_file(
        owner,
        settings,
        csv_text("Customer ID,Email", "X,e@example.com"),
        policy=ImportPolicy.CREATE_ONLY,
    )
    assert await row_errors(job) == [(2, "Email", "DUPLICATE_EMAIL")]
    assert counts(job)["unchanged"] == 0


async def test_a_dry_run_takes_no_snapshot(
    owner: Principal, settings: Settings, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run writes nothing, so no unique index would correct a stale snapshot: it looks
    up every identifier."""
    await create_customer(owner, CustomerInput(email="ann@example.com"))

    async def taken_before_the_customer_existed(*_: object) -> KnownIdentifiers:
        return await stale()

    monkeypatch.setattr(runner, "known_identifiers", taken_before_the_customer_existed)
    job = await import_file(
        owner, settings, csv_text("Email,First Name", "ann@example.com,Ann"), dry_run=True
    )
    assert (counts(job)["created"], counts(job)["updated"]) == (0, 1)


async def test_traits_that_are_not_an_object_survive_an_update(
    owner: Principal, settings: Settings, tenant: Tenant
) -> None:
    """Traits written outside the API may be any JSON (here a string); an import that updates
    the customer leaves them as they are instead of sending them as raw text."""
    ann = await create_customer(owner, CustomerInput(email="ann@example.com"))
    await Customer.filter(id=ann.id).update(traits='"vip"')  # the JSON text of a string
    job = await import_file(owner, settings, csv_text("Email,First Name", "ann@example.com,Ann"))
    assert job.status.value == "SUCCEEDED", await row_errors(job)
    fresh = await Customer.get(id=ann.id)
    traits: object = fresh.traits  # the model types traits as an object; here it is not one
    assert (fresh.first_name, traits) == ("Ann", "vip")
