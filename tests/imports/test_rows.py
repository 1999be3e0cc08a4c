"""One row at a time: the same normalization as the API, every problem reported, no values."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.core.identifiers import normalize_email, normalize_phone
from app.imports.csvfile import MAX_CELL_CHARS, Record
from app.imports.errors import RowErrorCode as Code
from app.imports.mapping import resolve
from app.imports.options import DateOrder
from app.imports.rows import (
    CustomerRow,
    InvalidRow,
    OrderRow,
    ValidatorConfig,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_money,
    split_list,
    validate_customer,
    validate_order,
)
from app.models.imports import ImportKind

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
STORE = uuid.UUID("01900000-0000-7000-8000-000000000001")
CUSTOMER_HEADER = [
    "Customer ID",
    "Email",
    "Phone",
    "First Name",
    "Last Name",
    "Birthday",
    "Country",
    "SMS opt-in",
    "Store",
    "Size",
]
ORDER_HEADER = [
    "Customer ID",
    "Email",
    "Order Number",
    "Date",
    "Total",
    "Store",
    "Category",
    "Tags",
]


def config(kind: ImportKind, header: list[str]) -> ValidatorConfig:
    return ValidatorConfig(
        key="test",
        kind=kind,
        plan=resolve(kind, header, (), kind is ImportKind.CUSTOMERS),
        region="US",
        timezone="America/New_York",
        date_order=DateOrder.MDY,
        stores={"main": STORE, str(STORE): STORE},
        now=NOW,
        row_offset=1,
    )


CUSTOMERS = config(ImportKind.CUSTOMERS, CUSTOMER_HEADER)
ORDERS = config(ImportKind.ORDERS, ORDER_HEADER)


def customer(*cells: str) -> CustomerRow | InvalidRow | None:
    cells_list = list(cells) + [""] * (len(CUSTOMER_HEADER) - len(cells))
    result = validate_customer(CUSTOMERS, Record(5, cells_list))
    assert not isinstance(result, OrderRow)
    return result


def problems(result: object) -> list[tuple[int, str | None, Code]]:
    assert isinstance(result, InvalidRow), result
    return [(e.row, e.column, e.code) for e in result.errors]


class TestParsers:
    @pytest.mark.parametrize("text", ["yes", "Y", "TRUE", "1", "x", "Opted-in", "oui"])
    def test_true(self, text: str) -> None:
        assert parse_bool(text) is True

    @pytest.mark.parametrize("text", ["no", "N", "false", "0", "unsubscribed", "opted out"])
    def test_false(self, text: str) -> None:
        assert parse_bool(text) is False

    def test_not_a_boolean(self) -> None:
        assert parse_bool("maybe") is None

    @pytest.mark.parametrize(
        ("text", "order", "expected"),
        [
            ("1990-05-04", DateOrder.MDY, dt.date(1990, 5, 4)),
            ("1990-05-04T00:00:00", DateOrder.DMY, dt.date(1990, 5, 4)),
            ("19900504", DateOrder.MDY, dt.date(1990, 5, 4)),
            ("05/04/1990", DateOrder.MDY, dt.date(1990, 5, 4)),
            ("05/04/1990", DateOrder.DMY, dt.date(1990, 4, 5)),
            ("04.05.1990", DateOrder.DMY, dt.date(1990, 5, 4)),
            ("1990/05/04", DateOrder.DMY, dt.date(1990, 5, 4)),
            ("31/31/1990", DateOrder.DMY, None),
            ("05/04/90", DateOrder.MDY, None),
            ("yesterday", DateOrder.MDY, None),
        ],
    )
    def test_dates(self, text: str, order: DateOrder, expected: dt.date | None) -> None:
        assert parse_date(text, order) == expected

    def test_datetimes_without_offset_are_local_to_the_organization(self) -> None:
        zone = ZoneInfo("America/New_York")
        assert parse_datetime("2026-01-15 09:30", DateOrder.MDY, zone) == dt.datetime(
            2026, 1, 15, 14, 30, tzinfo=dt.UTC
        )
        assert parse_datetime("2026-01-15T09:30:00Z", DateOrder.MDY, zone) == dt.datetime(
            2026, 1, 15, 9, 30, tzinfo=dt.UTC
        )
        assert parse_datetime("01/15/2026 9:30 PM", DateOrder.MDY, zone) == dt.datetime(
            2026, 1, 16, 2, 30, tzinfo=dt.UTC
        )
        assert parse_datetime("13/45/2026", DateOrder.MDY, zone) is None

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("12.50", Decimal("12.50")),
            ("$1,234.50", Decimal("1234.50")),
            ("1.234,50 €", Decimal("1234.50")),
            ("12,50", Decimal("12.50")),
            ("1,234", Decimal("1234")),
            ("twelve", None),
            ("NaN", None),
        ],
    )
    def test_money(self, text: str, expected: Decimal | None) -> None:
        assert parse_money(text) == expected

    def test_lists(self) -> None:
        assert split_list(" shoes | socks;shoes, hats ") == ("shoes", "socks", "hats")


class TestCustomerRows:
    def test_identifiers_are_normalized_like_the_api(self) -> None:
        row = customer("c-1", " Ann@Example.COM ", "(202) 555-0143", "Ann", "Lee", "05/04/1990")
        assert isinstance(row, CustomerRow)
        values = row.change().values
        assert values["email"] == normalize_email("ann@example.com") == "ann@example.com"
        assert values["phone"] == normalize_phone("+1 202-555-0143", "US")
        assert values["external_reference"] == "c-1"
        assert values["first_name_key"] == "ann"
        assert values["birthday"] == dt.date(1990, 5, 4)
        assert row.keys == (
            ("external_reference", "c-1"),
            ("email", "ann@example.com"),
            ("phone", "+12025550143"),
        )

    def test_every_problem_of_a_row_is_reported_by_column(self) -> None:
        result = customer("", "not-an-email", "555-01", "", "", "31/31/1990", "Francia", "maybe")
        assert sorted(problems(result), key=lambda p: str(p[1])) == [
            (6, "Birthday", Code.INVALID_DATE),
            (6, "Country", Code.INVALID_COUNTRY),
            (6, "Email", Code.INVALID_EMAIL),
            (6, "Phone", Code.INVALID_PHONE),
            (6, "SMS opt-in", Code.INVALID_BOOLEAN),
        ]

    def test_messages_never_repeat_the_value(self) -> None:
        result = customer("", "secret-person@@example.com", "+1 999 0000 0000")
        assert isinstance(result, InvalidRow)
        for error in result.errors:
            assert "secret" not in error.message
            assert "999" not in error.message

    def test_no_identifier(self) -> None:
        assert problems(customer("", "", "", "Ann")) == [(6, None, Code.MISSING_IDENTIFIER)]

    def test_unknown_store(self) -> None:
        assert problems(customer("c-1", "", "", "", "", "", "", "", "Elsewhere")) == [
            (6, "Store", Code.STORE_NOT_FOUND)
        ]
        row = customer("c-1", "", "", "", "", "", "", "", " MAIN ")
        assert isinstance(row, CustomerRow)
        assert row.change().favorite_store_id == STORE

    def test_a_ten_megabyte_cell_is_a_row_error(self) -> None:
        huge = "x" * (10 * 1024 * 1024)
        assert problems(customer("c-1", "", "", huge)) == [(6, "First Name", Code.FIELD_TOO_LONG)]
        assert len(huge) > MAX_CELL_CHARS

    def test_ragged_rows(self) -> None:
        short = validate_customer(CUSTOMERS, Record(5, ["c-1", "ann@example.com"]))
        assert problems(short) == [(6, None, Code.RAGGED_ROW)]
        long = validate_customer(CUSTOMERS, Record(5, [*["c"] * 10, "extra"]))
        assert problems(long) == [(6, None, Code.RAGGED_ROW)]
        # Trailing empty cells (a spreadsheet's habit) are fine.
        padded = validate_customer(CUSTOMERS, Record(5, ["c-1", *[""] * 9, "", ""]))
        assert isinstance(padded, CustomerRow)

    def test_blank_rows_are_skipped(self) -> None:
        assert validate_customer(CUSTOMERS, Record(5, [" "] * 10)) is None

    def test_unreadable_records(self) -> None:
        assert problems(validate_customer(CUSTOMERS, Record(5, None, "malformed"))) == [
            (6, None, Code.MALFORMED_ROW)
        ]

    def test_full_name_is_split_when_first_and_last_are_absent(self) -> None:
        plan_config = config(ImportKind.CUSTOMERS, ["Email", "Name"])
        row = validate_customer(plan_config, Record(1, ["a@example.com", "Mary Ann Lee"]))
        assert isinstance(row, CustomerRow)
        values = row.change().values
        assert (values["first_name"], values["last_name"]) == ("Mary Ann", "Lee")

    def test_unmapped_columns_become_traits(self) -> None:
        row = customer("c-1", "", "", "", "", "", "", "", "", "38")
        assert isinstance(row, CustomerRow)
        assert row.change().values["traits"] == {"Size": "38"}


class TestOrderRows:
    def order(self, *cells: str) -> OrderRow | InvalidRow | None:
        result = validate_order(ORDERS, Record(2, list(cells)))
        assert not isinstance(result, CustomerRow)
        return result

    def test_a_good_row(self) -> None:
        row = self.order("c-1", "", "R-1", "2026-01-15 10:00", "$42.50", "main", "shoes|socks", "")
        assert isinstance(row, OrderRow)
        assert (row.external_reference, row.receipt_number, row.total) == (
            "c-1",
            "R-1",
            Decimal("42.50"),
        )
        assert row.placed_at == dt.datetime(2026, 1, 15, 15, 0, tzinfo=dt.UTC)
        assert (row.store_id, row.categories) == (STORE, ("shoes", "socks"))

    def test_problems(self) -> None:
        result = self.order("", "bad-email", "", "someday", "-5", "nowhere", "", "")
        assert sorted(problems(result), key=lambda p: str(p[1])) == [
            (3, "Date", Code.INVALID_DATE),
            (3, "Email", Code.INVALID_EMAIL),
            (3, "Order Number", Code.REQUIRED),
            (3, "Store", Code.STORE_NOT_FOUND),
        ]

    def test_negative_total_and_future_date_use_the_order_rules(self) -> None:
        result = self.order("c-1", "", "R-1", "2030-01-01", "-5", "", "", "")
        assert sorted(problems(result), key=lambda p: str(p[1])) == [
            (3, "Date", Code.INVALID_DATE),
            (3, "Total", Code.INVALID_TOTAL),
        ]
