"""Customer imports through the service and the job runner, on both databases."""

from __future__ import annotations

import uuid

import pytest

from app.auth.principal import Principal
from app.config import Settings
from app.customers.fields import CustomerInput
from app.customers.service import create_customer, update_customer
from app.imports import runner
from app.imports.errors import ImportErrorCode
from app.imports.options import ImportPolicy, MatchKey, SmsDoubleOptIn, SmsSchedule
from app.models.consent import ConsentEvent, ConsentSource
from app.models.customer import Customer, CustomerStatus, FavoriteStoreSource, SmsState
from app.models.imports import ImportJob, ImportRowError, ImportStatus
from app.models.organization import Store
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.imports.helpers import counts, csv_text, import_file, row_errors, run, start

HEADER = "Customer ID,Email,Phone,First Name,Last Name,Birthday,Accepts SMS Marketing,Store,Size"


@pytest.fixture
def owner(tenant: Tenant) -> Principal:
    return owner_of(tenant)


async def customers(tenant: Tenant) -> list[Customer]:
    return await Customer.filter(organization_id=tenant.organization_id).order_by("id")


class TestCreate:
    async def test_rows_become_customers_with_the_api_rules(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        job = await import_file(
            owner,
            settings,
            csv_text(
                HEADER,
                "c-1, Ann@Example.com ,(202) 555-0143,Ann,Lee,05/04/1990,yes,,38",
                "c-2,bob@example.com,+1 202 555 0144,Bob,Roe,1991-01-02,no,,",
            ),
            unmapped_as_traits=True,
        )
        assert job.status is ImportStatus.SUCCEEDED
        assert counts(job) == {
            "total": 2,
            "processed": 2,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "invalid": 0,
            "suppressed": 0,
        }
        ann, bob = await customers(tenant)
        assert (ann.external_reference, ann.email, ann.phone) == (
            "c-1",
            "ann@example.com",
            "+12025550143",
        )
        assert (ann.first_name_key, str(ann.birthday), ann.birthday_monthday) == (
            "ann",
            "1990-05-04",
            504,
        )
        assert ann.traits == {"Size": "38"}
        assert bob.traits == {}
        assert job.finished_at is not None
        assert job.file_path
        # The uploaded file is deleted when the job ends.
        assert not (settings.imports_root / job.file_path).exists()

    async def test_the_same_phone_written_two_ways_is_one_identifier(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await create_customer(owner, CustomerInput(phone="+1 202-555-0143"))
        job = await import_file(
            owner,
            settings,
            csv_text("Phone,First Name", "(202) 555 0143,Ann"),
            match_keys=(MatchKey.PHONE,),
        )
        assert counts(job)["updated"] == 1
        (only,) = await customers(tenant)
        assert only.first_name == "Ann"


class TestSmsOptIn:
    async def test_opt_in_sets_pending_never_subscribed_and_records_evidence(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        existing = await create_customer(owner, CustomerInput(email="sub@example.com"))
        existing.sms_state = SmsState.SUBSCRIBED
        existing.phone = "+12025550199"
        await existing.save()
        schedule = SmsSchedule(SmsDoubleOptIn.IMMEDIATELY)
        job = await import_file(
            owner,
            settings,
            csv_text(
                "Email,Phone,SMS opt-in",
                "new@example.com,(202) 555-0143,yes",
                "sub@example.com,,yes",
                "nophone@example.com,,yes",
            ),
            sms_double_opt_in=schedule,
        )
        assert job.options["sms_double_opt_in"] == {"send": "IMMEDIATELY", "at": None}
        states = {c.email: c.sms_state for c in await customers(tenant)}
        assert states == {
            "sub@example.com": SmsState.SUBSCRIBED,
            "new@example.com": (SmsState.PENDING),
        }
        assert await row_errors(job) == [(4, "SMS opt-in", "CONSENT_NEEDS_CONTACT")]
        events = await ConsentEvent.filter(organization_id=tenant.organization_id)
        assert [(e.channel.value, e.state, e.source, e.text) for e in events] == [
            ("SMS", "PENDING", ConsentSource.IMPORT, f"import:{job.id}")
        ]


class TestPolicies:
    async def test_create_only_leaves_existing_customers_alone(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await create_customer(owner, CustomerInput(email="ann@example.com", first_name="Ann"))
        file = csv_text("Email,First Name", "ann@example.com,Annie", "bob@example.com,Bob")
        job = await import_file(owner, settings, file, policy=ImportPolicy.CREATE_ONLY)
        assert (job.created_count, job.unchanged_count, job.updated_count) == (1, 1, 0)
        assert [c.first_name for c in await customers(tenant)] == ["Ann", "Bob"]

    async def test_upsert_updates_with_non_empty_cells_and_merges_traits(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        ann = await create_customer(
            owner,
            CustomerInput(
                email="ann@example.com", first_name="Ann", city="Paris", traits={"vip": True}
            ),
        )
        file = csv_text("Email,First Name,City,Size", "ann@example.com,Annie,,38")
        job = await import_file(owner, settings, file, unmapped_as_traits=True)
        assert (job.updated_count, job.status) == (1, ImportStatus.SUCCEEDED)
        fresh = await Customer.get(id=ann.id)
        assert (fresh.first_name, fresh.first_name_key, fresh.city) == ("Annie", "annie", "Paris")
        assert fresh.traits == {"vip": True, "Size": "38"}
        # The same file again changes nothing.
        again = await import_file(owner, settings, file, unmapped_as_traits=True)
        assert (again.updated_count, again.unchanged_count) == (0, 1)

    async def test_match_key_priority(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        by_ref = await create_customer(owner, CustomerInput(external_reference="c-1"))
        by_email = await create_customer(owner, CustomerInput(email="ann@example.com"))
        file = csv_text("Customer ID,Email,First Name", "c-1,,Ref", ",ann@example.com,Mail")
        await import_file(owner, settings, file)
        assert (await Customer.get(id=by_ref.id)).first_name == "Ref"
        assert (await Customer.get(id=by_email.id)).first_name == "Mail"
        # External reference first: a row naming both matches the reference's customer, and
        # its email then belongs to another customer.
        job = await import_file(
            owner, settings, csv_text("Customer ID,Email", "c-1,ann@example.com")
        )
        assert await row_errors(job) == [(2, "Email", "DUPLICATE_EMAIL")]
        # Email first: the same row matches the email's customer, whose reference is free.
        job = await import_file(
            owner,
            settings,
            csv_text("Customer ID,Email", "c-9,ann@example.com"),
            match_keys=(MatchKey.EMAIL, MatchKey.EXTERNAL_REFERENCE),
        )
        assert job.updated_count == 1
        assert (await Customer.get(id=by_email.id)).external_reference == "c-9"

    async def test_an_identifier_of_another_customer_is_a_row_error(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        await create_customer(owner, CustomerInput(phone="+12025550143"))
        job = await import_file(
            owner,
            settings,
            csv_text("Email,Phone", "new@example.com,202-555-0143"),
            match_keys=(MatchKey.EMAIL,),
        )
        assert await row_errors(job) == [(2, "Phone", "DUPLICATE_PHONE")]
        assert job.status is ImportStatus.PARTIAL
        assert len(await customers(tenant)) == 1

    async def test_identifiers_can_move_between_customers_in_one_batch(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        first = await create_customer(
            owner, CustomerInput(external_reference="a", email="x@example.com")
        )
        second = await create_customer(
            owner, CustomerInput(external_reference="b", email="y@example.com")
        )
        # Row 2 frees x@ (a takes z@), row 3 gives x@ to b: fine in file order.
        file = csv_text("Customer ID,Email", "a,z@example.com", "b,x@example.com")
        job = await import_file(owner, settings, file, match_keys=(MatchKey.EXTERNAL_REFERENCE,))
        assert job.updated_count == 2, await row_errors(job)
        assert (await Customer.get(id=first.id)).email == "z@example.com"
        assert (await Customer.get(id=second.id)).email == "x@example.com"


class TestDuplicatesInFile:
    async def test_the_first_row_wins_and_repeats_are_reported(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        rows = [f"c-{i},u{i}@example.com,First{i}" for i in range(30)]
        rows.insert(5, "c-x,u1@example.com,Again")  # same email as row 3
        rows.insert(25, "c-3,other@example.com,Again")  # same reference as row 5
        job = await import_file(
            owner, settings, csv_text("Customer ID,Email,First Name", *rows), batch_size=10
        )
        assert (job.created_count, job.invalid_count) == (30, 2)
        assert await row_errors(job) == [
            (7, "Email", "DUPLICATE_IN_FILE"),
            (27, "Customer ID", "DUPLICATE_IN_FILE"),
        ]
        messages = [e.message for e in await ImportRowError.filter(job_id=job.id).order_by("id")]
        assert messages == ["Same email as row 3.", "Same external reference as row 5."]
        assert len(await customers(tenant)) == 30

    async def test_a_row_rejected_for_another_reason_claims_nothing(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        file = csv_text("Email,Phone", "ann@example.com,not a phone", "ann@example.com,")
        job = await import_file(owner, settings, file)
        assert await row_errors(job) == [(2, "Phone", "INVALID_PHONE")]
        assert job.created_count == 1


class TestFavoriteStore:
    async def test_a_file_store_has_source_import_and_respects_precedence(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        main = await Store.create(organization_id=tenant.organization_id, name="Main", code="M1")
        other = await Store.create(organization_id=tenant.organization_id, name="O", code="O2")
        from app.customers.fields import FavoriteStoreChoice

        app_choice = await create_customer(
            owner,
            CustomerInput(
                email="app@example.com",
                favorite_store=FavoriteStoreChoice(other.id, FavoriteStoreSource.WALLET_APP),
            ),
        )
        inferred = await create_customer(
            owner,
            CustomerInput(
                email="inferred@example.com",
                favorite_store=FavoriteStoreChoice(other.id, FavoriteStoreSource.PURCHASE_HISTORY),
            ),
        )
        file = csv_text(
            "Email,Home Store",
            "app@example.com,m1",
            "inferred@example.com,M1",
            "new@example.com,M1",
            "bad@example.com,NOPE",
        )
        job = await import_file(owner, settings, file)
        assert await row_errors(job) == [(5, "Home Store", "STORE_NOT_FOUND")]
        kept = await Customer.get(id=app_choice.id)
        assert (kept.favorite_store_id, kept.favorite_store_source) == (
            other.id,
            FavoriteStoreSource.WALLET_APP,
        )
        replaced = await Customer.get(id=inferred.id)
        assert (replaced.favorite_store_id, replaced.favorite_store_source) == (
            main.id,
            FavoriteStoreSource.IMPORT,
        )
        new = await Customer.get(organization_id=tenant.organization_id, email="new@example.com")
        assert new.favorite_store_source is FavoriteStoreSource.IMPORT
        assert (job.created_count, job.updated_count, job.unchanged_count) == (1, 1, 1)


class TestSuppression:
    async def test_rows_matching_erased_or_merged_customers_are_only_counted(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        erased = await create_customer(owner, CustomerInput(external_reference="gone"))
        merged = await create_customer(owner, CustomerInput(external_reference="moved"))
        await Customer.filter(id=erased.id).update(status=CustomerStatus.ERASED)
        await Customer.filter(id=merged.id).update(status=CustomerStatus.MERGED)
        file = csv_text("Customer ID,First Name", "gone,Back", "moved,Back", "new,New")
        job = await import_file(owner, settings, file)
        assert counts(job)["suppressed"] == 2
        assert job.created_count == 1
        assert await row_errors(job) == []
        assert job.status is ImportStatus.PARTIAL
        assert (await Customer.get(id=erased.id)).first_name == ""


class TestDryRun:
    async def test_writes_nothing_and_reports_what_would_happen(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        ann = await create_customer(owner, CustomerInput(email="ann@example.com"))
        file = csv_text(
            "Email,First Name,SMS opt-in,Phone",
            "ann@example.com,Annie,,",
            "bob@example.com,Bob,yes,202-555-0143",
            "bad,Bad,,",
            "bob@example.com,Again,,",
        )
        job = await import_file(owner, settings, file, dry_run=True)
        assert (job.dry_run, job.status) == (True, ImportStatus.PARTIAL)
        assert (job.created_count, job.updated_count, job.invalid_count) == (1, 1, 2)
        assert [c.id for c in await customers(tenant)] == [ann.id]
        assert (await Customer.get(id=ann.id)).first_name == ""
        assert await ConsentEvent.filter(organization_id=tenant.organization_id).count() == 0
        assert [c for _, _, c in await row_errors(job)] == ["INVALID_EMAIL", "DUPLICATE_IN_FILE"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"", ImportErrorCode.EMPTY_FILE),
            (b"Email,First Name\n", ImportErrorCode.NO_ROWS),
            (b"First Name,City\nAnn,Paris\n", ImportErrorCode.NO_IDENTIFIER_COLUMN),
            ("Email\nann@example.com\n".encode("utf-16"), ImportErrorCode.UNSUPPORTED_ENCODING),
            (b"PK\x03\x04" + b"\x00" * 100, ImportErrorCode.NOT_CSV),
            (b"ann@example.com,Ann\nbob@example.com,Bob\n", ImportErrorCode.NO_HEADER),
        ],
    )
    async def test_unusable_files_give_a_failed_job_with_the_reason(
        self,
        owner: Principal,
        settings: Settings,
        tenant: Tenant,
        content: bytes,
        code: ImportErrorCode,
    ) -> None:
        job = await start(owner, settings, content)
        assert (job.status, job.error_code) == (ImportStatus.FAILED, code.value)
        assert job.error_message
        assert "ann@example.com" not in job.error_message
        assert job.finished_at is not None
        assert not (settings.imports_root / job.file_path).exists()
        # Running it anyway does nothing.
        assert await runner.run_import(job.id, settings) == "skipped"
        assert await customers(tenant) == []

    async def test_bad_rows_are_row_errors_and_good_rows_are_imported(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        huge = "x" * (10 * 1024 * 1024)
        file = csv_text(
            "Email,Phone,Birthday,First Name",
            "ok1@example.com,,,",
            "not an email,,,",
            ",12,,",
            "ok2@example.com,,1990-02-31,",
            "ok3@example.com,,,Ann,extra",
            "ok4@example.com",
            f"ok5@example.com,,,{huge}",
            "ok6@example.com,,,",
        )
        job = await import_file(owner, settings, file)
        assert await row_errors(job) == [
            (3, "Email", "INVALID_EMAIL"),
            (4, "Phone", "INVALID_PHONE"),
            (5, "Birthday", "INVALID_DATE"),
            (6, None, "RAGGED_ROW"),
            (7, None, "RAGGED_ROW"),
            (8, "First Name", "FIELD_TOO_LONG"),
        ]
        assert (job.created_count, job.invalid_count, job.status) == (
            2,
            6,
            ImportStatus.PARTIAL,
        )
        assert sorted(c.email or "" for c in await customers(tenant)) == [
            "ok1@example.com",
            "ok6@example.com",
        ]

    async def test_an_unclosed_quote_fails_before_anything_is_written(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        file = 'Email,Name\nann@example.com,Ann\nbob@example.com,"Bob\ncid@example.com,Cid\n'
        job = await import_file(owner, settings, file)
        assert (job.status, job.error_code) == (ImportStatus.FAILED, "MALFORMED_CSV")
        assert job.error_message is not None
        assert job.error_message.startswith("Row 3:")
        assert await customers(tenant) == []
        assert job.processed_rows == 0

    async def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        from app.core.errors import DomainError

        small = settings.with_overrides(max_upload_bytes=64)
        with pytest.raises(DomainError) as info:
            await start(owner, small, csv_text("Email", *[f"u{i}@example.com" for i in range(20)]))
        assert info.value.code is ImportErrorCode.FILE_TOO_LARGE
        assert await ImportJob.filter(organization_id=tenant.organization_id).count() == 0
        assert not any(small.imports_root.rglob("*.csv*"))


class TestRetriesAndResume:
    async def test_running_a_job_twice_never_duplicates(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        job = await start(owner, settings, csv_text("Email", "a@example.com", "b@example.com"))
        first, second = (
            await runner.run_import(job.id, settings),
            await runner.run_import(job.id, settings),
        )
        assert (first, second) == ("SUCCEEDED", "skipped")
        assert len(await customers(tenant)) == 2

    async def test_concurrent_runs_import_once(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        import asyncio

        rows = [f"u{i}@example.com" for i in range(120)]
        job = await start(owner, settings, csv_text("Email", *rows), batch_size=10)
        results = await asyncio.gather(
            runner.run_import(job.id, settings), runner.run_import(job.id, settings)
        )
        assert sorted(results) == ["SUCCEEDED", "skipped"]
        fresh = await ImportJob.get(id=job.id)
        assert (fresh.created_count, fresh.processed_rows) == (120, 120)
        assert len(await customers(tenant)) == 120

    async def test_a_job_stopped_mid_way_resumes_after_its_checkpoint(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        import asyncio

        rows = [f"c-{i},u{i}@example.com" for i in range(200)]
        rows.append("c-0,dup@example.com")  # a duplicate of row 2, found after the resume
        job = await start(
            owner, settings, csv_text("Customer ID,Email", *rows), batch_size=10, throttle_ms=20
        )
        task = asyncio.create_task(runner.run_import(job.id, settings))
        for _ in range(500):
            await asyncio.sleep(0.01)
            current = await ImportJob.get(id=job.id)
            if current.checkpoint_row >= 50:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stopped = await ImportJob.get(id=job.id)
        # Given back to the queue with its committed rows and counts only.
        assert stopped.status is ImportStatus.QUEUED
        assert 0 < stopped.checkpoint_row < 201
        assert stopped.created_count == stopped.checkpoint_row
        assert await Customer.filter(organization_id=tenant.organization_id).count() == (
            stopped.created_count
        )
        done = await run(job, settings)
        assert (done.status, done.attempts) == (ImportStatus.PARTIAL, 2)
        assert (done.created_count, done.invalid_count, done.processed_rows) == (200, 1, 201)
        assert await row_errors(done) == [(202, "Customer ID", "DUPLICATE_IN_FILE")]
        assert len(await customers(tenant)) == 200

    async def test_a_silent_running_job_is_taken_over(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        import datetime as dt

        job = await start(owner, settings, csv_text("Email", "a@example.com"))
        old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        await ImportJob.filter(id=job.id).update(
            status=ImportStatus.RUNNING, attempts=1, updated_at=old
        )
        fresh_settings = settings.with_overrides(import_stale_seconds=60)
        assert await runner.run_import(job.id, fresh_settings) == "SUCCEEDED"
        assert (await ImportJob.get(id=job.id)).attempts == 2

    async def test_a_job_that_keeps_dying_fails_honestly(
        self, owner: Principal, settings: Settings, tenant: Tenant
    ) -> None:
        job = await start(owner, settings, csv_text("Email", "a@example.com"))
        await ImportJob.filter(id=job.id).update(attempts=runner.MAX_ATTEMPTS)
        assert await runner.run_import(job.id, settings) == "FAILED"
        fresh = await ImportJob.get(id=job.id)
        assert (fresh.status, fresh.error_code) == (ImportStatus.FAILED, "WORKER_LOST")


async def test_validation_in_worker_processes_gives_the_same_result(
    owner: Principal, settings: Settings, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "PARALLEL_MIN_ROWS", 0)
    rows = [f"c-{i},U{i}@Example.com,(202) 555-{i % 10000:04d}" for i in range(300)]
    rows.append("c-x,u3@example.com,")
    job = await import_file(
        owner,
        settings.with_overrides(import_workers=2),
        csv_text("Customer ID,Email,Phone", *rows),
        batch_size=50,
    )
    assert (job.created_count, job.invalid_count) == (300, 1)
    assert await row_errors(job) == [(302, "Email", "DUPLICATE_IN_FILE")]
    emails = {c.email for c in await customers(tenant)}
    assert "u299@example.com" in emails
    assert len(emails) == 300


async def test_update_customer_api_still_follows_the_consent_rule(
    owner: Principal, tenant: Tenant
) -> None:
    """The consent rule moved to one module shared with imports; the API still applies it."""
    ann = await create_customer(owner, CustomerInput(phone="+12025550143"))
    updated = await update_customer(owner, ann.id, CustomerInput(sms_opt_in=True))
    assert updated.sms_state is SmsState.PENDING
    assert uuid.UUID(str(updated.id)) == ann.id
