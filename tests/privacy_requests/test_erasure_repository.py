"""The statements erasure runs on other domains' rows: what they reach and what they leave."""

from __future__ import annotations

from app.core.transactions import atomic
from app.models.imports import ImportJob, ImportKind, ImportRowError
from app.privacy_requests import repository
from tests.conftest import Tenant


async def _job(tenant: Tenant) -> ImportJob:
    return await ImportJob.create(
        organization_id=tenant.organization_id,
        kind=ImportKind.CUSTOMERS,
        file_path="",
        file_name="people.csv",
    )


async def test_row_errors_naming_any_identifier_go_in_one_pass_and_only_in_its_organization(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    ours, theirs = await _job(tenant), await _job(other_tenant)
    messages = {
        1: "email Quill.Person@Example.org is taken",
        2: "phone +14155550123 is invalid",
        3: "birthday is not a date",
    }
    for number, message in messages.items():
        await ImportRowError.create(job=ours, row_number=number, code="X", message=message)
    await ImportRowError.create(job=theirs, row_number=1, code="X", message=messages[1])

    async with atomic() as conn:
        purged = await repository.purge_row_errors_mentioning(
            tenant.organization_id, ["quill.person@example.org", "+14155550123"], conn
        )
        assert await repository.purge_row_errors_mentioning(tenant.organization_id, [], conn) == 0

    assert purged == 2
    left = await ImportRowError.filter(job_id=ours.id)
    assert [e.row_number for e in left] == [3]
    # Another organization's rows are its own business.
    assert await ImportRowError.filter(job_id=theirs.id).count() == 1
