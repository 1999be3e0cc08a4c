"""An erased person's rows are blanked in uploaded files still waiting to be imported."""

from __future__ import annotations

from pathlib import Path

from app.auth.principal import Principal
from app.config import Settings
from app.models.customer import Customer
from app.models.privacy_request import PrivacyRequestKind
from app.privacy_requests.file_redaction import Needles, redact_file
from app.privacy_requests.service import Target, file_request, run_request
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import run, start

NEEDLES = Needles.of(["ada@example.com", "ref-9"], ["+12025550143"])


class TestRedactFile:
    def test_blanks_rows_naming_the_person_in_any_format(self, tmp_path: Path) -> None:
        path = tmp_path / "f.csv"
        path.write_bytes(
            b"Email,Phone,Name,Ref\r\n"
            b"ADA@Example.com,,Ada Lovelace,\r\n"
            b"bob@example.com,(202) 555-0143,Bob,\r\n"
            b"cy@example.com,,Cy,ref-9\r\n"
            b'"dee@example.com","202 555 0199","Dee, Jr",x\r\n'
        )
        assert redact_file(path, NEEDLES) == 3
        assert path.read_bytes() == (
            b"Email,Phone,Name,Ref\r\n,,,\r\n,,,\r\n,,,\r\n"
            b'dee@example.com,202 555 0199,"Dee, Jr",x\r\n'
        )

    def test_short_numbers_and_other_encodings_are_left_alone(self, tmp_path: Path) -> None:
        path = tmp_path / "f.csv"
        content = "Email,Qty,Name\ncafé@example.com,0143,José\n".encode("latin-1")
        path.write_bytes(content)
        assert redact_file(path, NEEDLES) == 0
        assert path.read_bytes() == content

    def test_a_missing_file_is_nothing_to_do(self, tmp_path: Path) -> None:
        assert redact_file(tmp_path / "gone.csv", NEEDLES) == 0

    def test_the_header_is_never_blanked(self, tmp_path: Path) -> None:
        path = tmp_path / "f.csv"
        path.write_text("ada@example.com\nother@example.com\n")
        assert redact_file(path, NEEDLES) == 0


async def test_erasure_blanks_the_person_in_a_queued_import(
    tenant: Tenant, settings: Settings
) -> None:
    person = await Customer.create(
        organization_id=tenant.organization_id, email="ada@example.com", phone="+12025550143"
    )
    job = await start(
        owner_of(tenant),
        settings,
        "Email,Phone,First Name\n"
        "ada@example.com,,Ada\n"
        "grace@example.com,,Grace\n"
        ",(202) 555-0143,Ada again\n",
    )
    stored = settings.imports_root / job.file_path
    request = await file_request(
        owner_of(tenant), settings, PrivacyRequestKind.ERASE, Target(customer_id=person.id)
    )
    await run_request(Principal.system(tenant.organization_id), settings, request.id)
    text = stored.read_text()
    assert "Ada" not in text
    assert "ada@" not in text
    assert "555" not in text
    assert "grace@example.com" in text

    # The import still runs: the blank rows are skipped, the others imported.
    done = await run(job, settings)
    emails = {c.email for c in await Customer.filter(organization_id=tenant.organization_id)}
    assert emails == {None, "grace@example.com"}
    assert done.created_count == 1
