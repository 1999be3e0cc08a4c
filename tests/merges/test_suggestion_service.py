"""Duplicate suggestions recomputed from the database: found, guarded, dismissed, scoped."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from tortoise import connections

from app.core.errors import DomainError, Forbidden
from app.core.pagination import PageRequest
from app.core.transactions import atomic
from app.merges import suggestion_service as service
from app.merges.duplicate_errors import DuplicateErrorCode
from app.merges.placeholder_settings import DEFAULT_PLACEHOLDER_VALUES
from app.merges.records import IdentifierKind
from app.merges.scoring import Reason
from app.models.customer import Customer, CustomerStatus
from app.models.duplicates import PlaceholderIdentifier, PlaceholderKind, PlaceholderSource
from app.seed.writer import seed_organization
from tests.conftest import Tenant
from tests.factories import owner_of
from tests.merges.duplicate_fixtures import add_person, pairs_of, recompute, suggested_groups

BIRTHDAY = dt.date(1988, 4, 12)


def _swap_inner(word: str) -> str:
    """A typing slip: two letters after the first exchanged."""
    return word[0] + word[2] + word[1] + word[3:] if len(word) > 3 else word + "e"


def _tagged(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local}+shop@{domain}"


class TestPlantedDuplicates:
    async def test_duplicates_planted_in_seeded_data_are_found(self, tenant: Tenant) -> None:
        org = tenant.organization_id
        await seed_organization(org, 300, 2, 7, progress=None, segments=False)
        seeded = list(await Customer.filter(organization_id=org).order_by("id"))
        seeded = [c for c in seeded if c.first_name and c.last_name]
        # Five different seeded customers, each with what its duplicate will share.
        with_birthday = [c for c in seeded if c.birthday and c.postal_code][:3]
        rest = [c for c in seeded if c not in with_birthday]
        with_postal = [c for c in rest if c.postal_code][:1]
        with_email = [c for c in rest if c.email and "+" not in c.email and c not in with_postal]
        planted: list[tuple[uuid.UUID, uuid.UUID]] = []

        a = with_birthday[0]  # a slip in the first name, same birthday
        planted.append(
            (
                a.id,
                await add_person(org, _swap_inner(a.first_name), a.last_name, birthday=a.birthday),
            )
        )
        b = with_birthday[1]  # first and last name the other way round, same birthday
        planted.append(
            (b.id, await add_person(org, b.last_name, b.first_name, birthday=b.birthday))
        )
        c = with_postal[0]  # a slip in the last name, same postal code
        planted.append(
            (
                c.id,
                await add_person(
                    org, c.first_name, _swap_inner(c.last_name), postal_code=c.postal_code
                ),
            )
        )
        d = with_email[0]  # the same mailbox with a +tag, name in capitals
        assert d.email is not None
        planted.append(
            (
                d.id,
                await add_person(org, d.first_name.upper(), d.last_name, email=_tagged(d.email)),
            )
        )
        e = with_birthday[2]  # capitals and the same birthday and postal code
        planted.append(
            (
                e.id,
                await add_person(
                    org,
                    e.first_name.upper(),
                    e.last_name.upper(),
                    birthday=e.birthday,
                    postal_code=e.postal_code,
                ),
            )
        )

        counts = await recompute(org)
        assert counts.customers == 305
        # Blocking: far fewer comparisons than the 46,360 pairs of 305 customers.
        assert counts.compared_pairs < 5000
        found = pairs_of(await suggested_groups(org))
        missing = [pair for pair in planted if frozenset(pair) not in found]
        assert not missing

        page = await service.list_suggestions(owner_of(tenant), PageRequest(100, None))
        scores = [s.score for s in page.items]
        assert scores == sorted(scores, reverse=True)
        by_pair = {frozenset(c.id for c in s.customers): s for s in page.items}
        assert Reason.SAME_EMAIL in by_pair[frozenset(planted[3])].reasons
        assert Reason.SIMILAR_NAME_SAME_BIRTHDAY in by_pair[frozenset(planted[0])].reasons

    async def test_a_recompute_replaces_the_previous_set(self, tenant: Tenant) -> None:
        org = tenant.organization_id
        first = await add_person(org, "Ada", "Lovelace", birthday=BIRTHDAY)
        second = await add_person(org, "Adah", "Lovelace", birthday=BIRTHDAY)
        await recompute(org)
        assert await suggested_groups(org) == {frozenset((first, second))}
        await Customer.filter(id=second).update(birthday=dt.date(1970, 1, 1), postal_code=None)
        await recompute(org)
        assert await suggested_groups(org) == set()
        # Running it twice writes the same thing.
        await recompute(org)
        assert await suggested_groups(org) == set()


class RolledBackError(Exception):
    """Raised to roll a test's transaction back."""


class TestPlaceholders:
    async def walk_ins(self, org: uuid.UUID) -> list[uuid.UUID]:
        """40 walk-ins typed with the front desk's address (a +tag each: addresses are unique)
        and the store's phone on the first; different people, different birthdays."""
        ids = []
        for n in range(40):
            ids.append(
                await add_person(
                    org,
                    f"Walkin{n:02d}",
                    f"Guest{n:02d}",
                    email=f"frontdesk+{n}@acme-store.com",
                    phone="(202) 555-0143" if n == 0 else None,
                    birthday=dt.date(1950, 1, 1) + dt.timedelta(days=97 * n),
                )
            )
        return ids

    async def test_an_address_shared_by_40_is_a_placeholder_and_suggests_nothing(
        self, tenant: Tenant
    ) -> None:
        org = tenant.organization_id
        await self.walk_ins(org)
        owner = owner_of(tenant)
        await service.update_placeholder_settings(
            owner, [(IdentifierKind.PHONE, "+1 202 555 0143")], None
        )
        counts = await recompute(org)
        assert counts.suggestions == 0
        assert await suggested_groups(org) == set()
        flagged = {
            (p.kind, p.value, p.customer_count, p.source)
            for p in await service.placeholder_identifiers(owner)
        }
        assert flagged == {
            (PlaceholderKind.EMAIL, "frontdesk@acme-store.com", 40, PlaceholderSource.SHARED),
            (PlaceholderKind.PHONE, "+12025550143", 1, PlaceholderSource.LISTED),
        }

    @pytest.mark.postgres_only
    async def test_a_store_phone_on_40_customers_is_a_placeholder_and_suggests_nothing(
        self, tenant: Tenant
    ) -> None:
        """What a base loaded without the schema's unique phone constraint holds: one store
        phone typed for 40 walk-ins. Run in a transaction that drops the constraint and is
        rolled back, so the schema the other tests see is untouched."""
        org = tenant.organization_id
        phone_constraints = (
            "SELECT conname FROM pg_constraint WHERE conrelid = 'customer'::regclass"
            " AND contype = 'u' AND pg_get_constraintdef(oid) LIKE '%phone%'"
        )

        async def without_the_constraint() -> None:
            async with atomic() as conn:
                for row in await conn.execute_query_dict(phone_constraints):
                    await conn.execute_script(
                        f'ALTER TABLE customer DROP CONSTRAINT "{row["conname"]}"'
                    )
                for n in range(40):
                    await add_person(
                        org,
                        f"Walkin{n:02d}",
                        f"Guest{n:02d}",
                        phone="(202) 555-0143",
                        birthday=dt.date(1950, 1, 1) + dt.timedelta(days=97 * n),
                    )
                counts = await recompute(org)
                assert counts.suggestions == 0
                assert await suggested_groups(org) == set()
                flagged = await service.placeholder_identifiers(owner_of(tenant))
                assert [(p.kind, p.value, p.customer_count, p.source) for p in flagged] == [
                    (PlaceholderKind.PHONE, "+12025550143", 40, PlaceholderSource.SHARED)
                ]
                raise RolledBackError

        with pytest.raises(RolledBackError):
            await without_the_constraint()
        conn = connections.get("default")
        assert await conn.execute_query_dict(phone_constraints)
        assert not await Customer.filter(organization_id=org).exists()

    async def test_above_the_threshold_the_same_address_is_evidence(self, tenant: Tenant) -> None:
        # The control: the guard, not the data, is what keeps the walk-ins apart.
        org = tenant.organization_id
        await self.walk_ins(org)
        await service.update_placeholder_settings(owner_of(tenant), None, 50)
        await recompute(org)
        found = pairs_of(await suggested_groups(org))
        assert len(found) >= 40
        assert await PlaceholderIdentifier.filter(organization_id=org).count() == 0

    async def test_a_listed_address_is_no_evidence_even_for_two(self, tenant: Tenant) -> None:
        org = tenant.organization_id
        await add_person(org, "Kofi", "Mensah", email="desk+1@acme-store.com")
        await add_person(org, "Omar", "Farouk", email="desk+2@acme-store.com")
        owner = owner_of(tenant)
        await recompute(org)
        assert len(await suggested_groups(org)) == 1
        await service.update_placeholder_settings(
            owner, [(IdentifierKind.EMAIL, "Desk@Acme-Store.com")], None
        )
        await recompute(org)
        assert await suggested_groups(org) == set()
        (listed,) = await service.placeholder_identifiers(owner)
        assert (listed.value, listed.customer_count) == ("desk@acme-store.com", 2)

    async def test_settings_have_defaults_and_refuse_bad_values(self, tenant: Tenant) -> None:
        owner = owner_of(tenant)
        view = await service.placeholder_settings(owner)
        assert view.settings.values == DEFAULT_PLACEHOLDER_VALUES
        assert view.settings.shared_threshold == 5
        assert view.computed_at is None
        values = [(v.kind, v.value) for v in view.settings.values[:4]]
        assert values == [
            (IdentifierKind.PHONE, "0000000000"),
            (IdentifierKind.PHONE, "1234567890"),
            (IdentifierKind.EMAIL, "noemail@"),
            (IdentifierKind.EMAIL, "none@"),
        ]
        for entries, threshold, code, field in (
            (
                [(IdentifierKind.EMAIL, "not an address")],
                None,
                "INVALID_PLACEHOLDER",
                "values.0.value",
            ),
            ([(IdentifierKind.PHONE, "12ab")], None, "INVALID_PLACEHOLDER", "values.0.value"),
            (
                [(IdentifierKind.EXTERNAL_REFERENCE, " ")],
                None,
                "INVALID_PLACEHOLDER",
                "values.0.value",
            ),
            (
                [(IdentifierKind.EXTERNAL_REFERENCE, "x")] * 201,
                None,
                "TOO_MANY_PLACEHOLDERS",
                "values",
            ),
            (None, 1, "INVALID_THRESHOLD", "sharedThreshold"),
        ):
            with pytest.raises(DomainError) as refused:
                await service.update_placeholder_settings(owner, entries, threshold)
            assert (refused.value.code, refused.value.field) == (code, field)
            assert "not an address" not in refused.value.message
        saved = await service.update_placeholder_settings(
            owner,
            [
                (IdentifierKind.PHONE, "(202) 555-0143"),
                (IdentifierKind.PHONE, "+12025550143"),
                (IdentifierKind.EMAIL, "Front.Desk+x@GMail.com"),
                (IdentifierKind.EMAIL, "Walkin@"),
            ],
            8,
        )
        assert [(v.kind, v.value) for v in saved.settings.values] == [
            (IdentifierKind.PHONE, "+12025550143"),
            (IdentifierKind.EMAIL, "frontdesk@gmail.com"),
            (IdentifierKind.EMAIL, "walkin@"),
        ]
        assert (await service.placeholder_settings(owner)).settings == saved.settings


class TestExclusions:
    async def test_a_dismissed_pair_is_never_suggested_again(self, tenant: Tenant) -> None:
        org = tenant.organization_id
        ada = await add_person(org, "Ada", "Lovelace", birthday=BIRTHDAY, postal_code="10001")
        twin = await add_person(org, "Adah", "Lovelace", birthday=BIRTHDAY, postal_code="10001")
        third = await add_person(org, "Ada", "Lovelace", birthday=BIRTHDAY)
        await recompute(org)
        assert await suggested_groups(org) == {frozenset((ada, twin, third))}

        owner = owner_of(tenant)
        assert await service.dismiss(owner, [twin, ada]) == [twin, ada]
        # The group holding the pair is gone at once, before any recompute.
        assert await suggested_groups(org) == set()
        for _ in range(2):
            await recompute(org)
            found = pairs_of(await suggested_groups(org))
            assert frozenset((ada, twin)) not in found
            assert frozenset((ada, third)) in found
        # Dismissing again is harmless.
        await service.dismiss(owner, [ada, twin])
        await recompute(org)
        assert frozenset((ada, twin)) not in pairs_of(await suggested_groups(org))

    async def test_dismissal_refusals(self, tenant: Tenant, other_tenant: Tenant) -> None:
        org = tenant.organization_id
        ada = await add_person(org, "Ada", "Lovelace")
        theirs = await add_person(other_tenant.organization_id, "Ada", "Lovelace")
        owner = owner_of(tenant)
        for ids, code, field in (
            ([ada], DuplicateErrorCode.TOO_FEW_CUSTOMERS, "customerIds"),
            ([ada, ada], DuplicateErrorCode.DUPLICATE_CUSTOMER_ID, "customerIds"),
            ([ada, theirs], DuplicateErrorCode.NOT_FOUND, "customerIds.1"),
            (
                [ada, *(uuid.uuid4() for _ in range(10))],
                DuplicateErrorCode.TOO_MANY_CUSTOMERS,
                "customerIds",
            ),
        ):
            with pytest.raises(DomainError) as refused:
                await service.dismiss(owner, ids)
            assert (refused.value.code, refused.value.field) == (code, field)

    async def test_suggestions_never_cross_organizations(
        self, tenant: Tenant, other_tenant: Tenant
    ) -> None:
        mine = await add_person(tenant.organization_id, "Ada", "Lovelace", birthday=BIRTHDAY)
        theirs = await add_person(
            other_tenant.organization_id, "Ada", "Lovelace", birthday=BIRTHDAY
        )
        twin = await add_person(other_tenant.organization_id, "Adah", "Lovelace", birthday=BIRTHDAY)
        await recompute(tenant.organization_id)
        await recompute(other_tenant.organization_id)
        assert await suggested_groups(tenant.organization_id) == set()
        assert await suggested_groups(other_tenant.organization_id) == {frozenset((theirs, twin))}
        listed = await service.customer_suggestions(owner_of(tenant), theirs)
        assert listed == []
        assert await service.customer_suggestions(owner_of(tenant), mine) == []

    @pytest.mark.parametrize("status", [CustomerStatus.ARCHIVED, CustomerStatus.ERASED])
    async def test_an_archived_or_erased_customer_is_left_out(
        self, tenant: Tenant, status: CustomerStatus
    ) -> None:
        org = tenant.organization_id
        owner = owner_of(tenant)
        ada = await add_person(org, "Ada", "Lovelace", birthday=BIRTHDAY)
        twin = await add_person(org, "Adah", "Lovelace", birthday=BIRTHDAY)
        await recompute(org)
        assert len((await service.list_suggestions(owner, PageRequest(10, None))).items) == 1
        assert len(await service.customer_suggestions(owner, ada)) == 1

        await Customer.filter(id=twin).update(status=status)
        # Left out of what staff read at once, and out of the next recompute.
        page = await service.list_suggestions(owner, PageRequest(10, None))
        assert page.items == []
        assert page.count is not None
        assert await page.count() == 0
        assert await service.customer_suggestions(owner, ada) == []
        await recompute(org)
        assert await suggested_groups(org) == set()


class TestRecomputeIsASystemTask:
    async def test_staff_ask_for_it_and_cannot_run_it(self, tenant: Tenant) -> None:
        with pytest.raises(Forbidden):
            await service.recompute_suggestions(owner_of(tenant))
