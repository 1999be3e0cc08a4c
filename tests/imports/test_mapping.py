"""Column mapping: common header names map themselves; an explicit mapping wins."""

from __future__ import annotations

import pytest

from app.core.errors import DomainError
from app.imports.errors import ImportErrorCode
from app.imports.mapping import (
    auto_field,
    check_plan,
    header_key,
    header_looks_like_data,
    resolve,
)
from app.models.imports import ImportKind

CUSTOMERS = ImportKind.CUSTOMERS
ORDERS = ImportKind.ORDERS


def fields_of(plan: object) -> dict[str, str]:
    return {c["column"]: c["field"] for c in plan.to_json() if c["field"]}  # type: ignore[attr-defined]


class TestAutoMapping:
    @pytest.mark.parametrize(
        ("header", "field"),
        [
            ("email", "email"),
            ("E-mail", "email"),
            ("Email Address", "email"),
            ("EMAIL", "email"),
            ("Courriel", "email"),
            ("phone", "phone"),
            ("Mobile", "phone"),
            ("Mobile Number", "phone"),
            ("Cell phone", "phone"),
            ("Telephone", "phone"),
            ("First Name", "firstName"),
            ("first_name", "firstName"),
            ("Given name", "firstName"),
            ("Prénom", "firstName"),
            ("Last Name", "lastName"),
            ("Surname", "lastName"),
            ("Name", "fullName"),
            ("Customer ID", "externalReference"),
            ("External ID", "externalReference"),
            ("Date of Birth", "birthday"),
            ("DOB", "birthday"),
            ("Zip", "postalCode"),
            ("Postcode", "postalCode"),
            ("State/Province", "region"),
            ("Accepts SMS Marketing", "smsOptIn"),
            ("Accepts Email Marketing", "emailOptIn"),
            ("Home Store", "favoriteStore"),
        ],
    )
    def test_common_customer_headers(self, header: str, field: str) -> None:
        assert auto_field(CUSTOMERS, header) == field

    @pytest.mark.parametrize(
        ("header", "field"),
        [
            ("Order Number", "receiptNumber"),
            ("Receipt #", "receiptNumber"),
            ("Order Date", "placedAt"),
            ("Total", "total"),
            ("Amount", "total"),
            ("Store Code", "store"),
            ("Category", "categories"),
            ("Tags", "tags"),
            ("Customer ID", "customerExternalReference"),
            ("Email", "customerEmail"),
        ],
    )
    def test_common_order_headers(self, header: str, field: str) -> None:
        assert auto_field(ORDERS, header) == field

    def test_header_key_folds_case_accents_and_punctuation(self) -> None:
        assert header_key("  Prénom-Client  ") == "prenomclient"
        assert header_key("E_MAIL") == "email"

    def test_unknown_headers_are_ignored_or_traits(self) -> None:
        headers = ["Email", "Shoe size", "Notes"]
        assert fields_of(resolve(CUSTOMERS, headers, (), False)) == {"Email": "email"}
        plan = resolve(CUSTOMERS, headers, (), True)
        assert fields_of(plan) == {
            "Email": "email",
            "Shoe size": "traits.Shoe size",
            "Notes": "traits.Notes",
        }

    def test_a_second_column_for_the_same_field_is_left_unmapped(self) -> None:
        plan = resolve(CUSTOMERS, ["Email", "E-mail"], (), False)
        assert fields_of(plan) == {"Email": "email"}


class TestExplicitMapping:
    def test_explicit_choice_wins_and_frees_the_field(self) -> None:
        plan = resolve(
            CUSTOMERS,
            ["Email", "Work email", "Secret"],
            (("Work email", "email"), ("Email", "traits.personalEmail"), ("Secret", None)),
            True,
        )
        assert fields_of(plan) == {"Work email": "email", "Email": "traits.personalEmail"}

    def test_columns_match_by_folded_name(self) -> None:
        plan = resolve(CUSTOMERS, ["Mail Adresse"], (("mail-adresse", "email"),), False)
        assert fields_of(plan) == {"Mail Adresse": "email"}

    @pytest.mark.parametrize(
        ("mapping", "code"),
        [
            ((("Nope", "email"),), ImportErrorCode.UNKNOWN_COLUMN),
            ((("Email", "emailAddress"),), ImportErrorCode.UNKNOWN_FIELD),
            ((("Email", "traits."),), ImportErrorCode.UNKNOWN_FIELD),
            ((("Email", "email"), ("Phone", "email")), ImportErrorCode.DUPLICATE_FIELD),
        ],
    )
    def test_mistakes_are_refused(
        self, mapping: tuple[tuple[str, str | None], ...], code: ImportErrorCode
    ) -> None:
        with pytest.raises(DomainError) as info:
            resolve(CUSTOMERS, ["Email", "Phone"], mapping, False)
        assert info.value.code is code

    def test_traits_are_for_customers_only(self) -> None:
        with pytest.raises(DomainError) as info:
            resolve(ORDERS, ["Receipt"], (("Receipt", "traits.x"),), False)
        assert info.value.code is ImportErrorCode.UNKNOWN_FIELD


class TestPlanChecks:
    def test_a_customer_file_needs_an_identifier_column(self) -> None:
        with pytest.raises(DomainError) as info:
            check_plan(resolve(CUSTOMERS, ["First Name", "City"], (), True))
        assert info.value.code is ImportErrorCode.NO_IDENTIFIER_COLUMN

    def test_an_order_file_needs_receipt_date_and_total(self) -> None:
        with pytest.raises(DomainError) as info:
            check_plan(resolve(ORDERS, ["Email", "Order Number", "Date"], (), False))
        assert info.value.code is ImportErrorCode.MISSING_COLUMN
        check_plan(resolve(ORDERS, ["Email", "Order Number", "Date", "Total"], (), False))

    def test_a_first_row_of_data_is_not_a_header(self) -> None:
        assert header_looks_like_data(["ann@example.com", "Ann"])
        assert header_looks_like_data(["(202) 555-0143", "Ann"])
        assert not header_looks_like_data(["Email", "Phone"])

    def test_plans_survive_the_job_row(self) -> None:
        plan = resolve(CUSTOMERS, ["Email", "Size"], (), True)
        from app.imports.mapping import ColumnPlan

        assert ColumnPlan.from_json(CUSTOMERS, plan.to_json()) == plan
