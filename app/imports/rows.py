"""Validating and normalizing one row of a file, with the same rules as the API.

Pure and picklable, so batches can be validated in other processes: customer cells go through
`app.customers.fields.normalize` (the one place identifiers are normalized), order cells through
the order service's own checks. Each row gives either a normalized row or every problem found
in it at once; a problem names the column and never repeats the cell's value.
"""

from __future__ import annotations

import datetime as dt
import pickle
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from app.core.errors import DomainError, FieldError, ValidationFailed
from app.core.ids import new_id
from app.core.unset import UNSET
from app.customers.fields import MAX_EXTERNAL_REFERENCE, CustomerInput, normalize
from app.imports.csvfile import MAX_CELL_CHARS, Record, is_blank
from app.imports.errors import RowErrorCode as RowCode
from app.imports.mapping import ColumnPlan
from app.imports.options import DateOrder
from app.imports.records import (
    IDENTIFIERS,
    NEW_VALUES,
    RecordLayout,
    Row,
    apply_row,
    consent_records,
    customer_record,
)
from app.models.customer import CustomerStatus
from app.models.imports import ImportKind
from app.orders.service import OrderInput
from app.orders.service import _validate as validate_order_fields

TRUE_WORDS = frozenset(
    {"1", "y", "yes", "true", "t", "x", "on", "subscribed", "optin", "opted in", "oui", "ja", "si"}
)
FALSE_WORDS = frozenset(
    {"0", "n", "no", "false", "f", "off", "unsubscribed", "optout", "opted out", "non", "nein"}
)
LIST_SEPARATORS = re.compile(r"[|;,]")
MAX_LIST_ITEMS = 50
MAX_LABEL = 100
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?\Z")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})\Z")
_SLASHED = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(?:[ T](.+))?\Z")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\Z")
_THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+\Z")
_CURRENCY = "$€£¥₹ \u00a0"
_NIL_UUID = uuid.UUID(int=0)


class RowError(NamedTuple):
    row: int
    column: str | None
    code: RowCode
    message: str


@dataclass(frozen=True, slots=True)
class CustomerChange:
    """What a customer row sets, for rows that match an existing customer."""

    # Column values from `normalize` (identifiers normalized, names with their search keys...).
    values: dict[str, Any]
    email_opt_in: bool | None
    sms_opt_in: bool | None
    favorite_store_id: uuid.UUID | None


class CustomerRow(NamedTuple):
    """A valid customer row, compact: it crosses a process boundary.

    The common case, a new customer, is prepared in full where the row was validated
    (`create`: the customer row, `create_consent`: its consent evidence, or `create_error`:
    why it cannot be created). The change for an existing customer travels pickled and is
    opened only for rows that match one (`change()`).
    """

    # The record's place among the data records (1-based) and its spreadsheet row number.
    record: int
    row: int
    # (column, value) of each identifier of the row.
    keys: tuple[tuple[str, str], ...]
    create: Row | None
    create_consent: tuple[Row, ...]
    create_error: RowError | None
    update: bytes

    def change(self) -> CustomerChange:
        # A plain tuple pickles in a third of a dataclass's time (this runs for every row).
        values, email_opt_in, sms_opt_in, store_id = pickle.loads(self.update)  # noqa: S301
        return CustomerChange(values, email_opt_in, sms_opt_in, store_id)

    def key(self, column: str) -> str | None:
        for name, value in self.keys:
            if name == column:
                return value
        return None


@dataclass(slots=True)
class OrderRow:
    index: int
    row: int
    external_reference: str | None
    email: str | None
    phone: str | None
    customer_id: uuid.UUID | None
    receipt_number: str
    total: Decimal
    placed_at: dt.datetime
    store_id: uuid.UUID | None
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    units: int | None = None


class InvalidRow(NamedTuple):
    record: int
    errors: list[RowError]


# What validating one record gives; None for a blank record.
RowResult = CustomerRow | OrderRow | InvalidRow | None


@dataclass(frozen=True)
class ValidatorConfig:
    """Everything a process needs to validate rows of one job (no database access)."""

    key: str
    kind: ImportKind
    plan: ColumnPlan
    region: str
    timezone: str
    date_order: DateOrder
    # Store code (folded) or id -> store id, for favorite stores and order stores.
    stores: dict[str, uuid.UUID]
    now: dt.datetime
    row_offset: int
    # Customers: how to lay out the rows a new customer needs.
    records: RecordLayout | None = None


def parse_bool(text: str) -> bool | None:
    word = " ".join(text.strip().casefold().replace("-", " ").split())
    if word in TRUE_WORDS or word.replace(" ", "") in TRUE_WORDS:
        return True
    if word in FALSE_WORDS or word.replace(" ", "") in FALSE_WORDS:
        return False
    return None


def _ymd(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _slashed(a: str, b: str, c: str, order: DateOrder) -> dt.date | None:
    if len(a) == 4:
        return _ymd(int(a), int(b), int(c))
    if len(c) != 4:
        return None  # two-digit years are ambiguous
    if order is DateOrder.MDY:
        return _ymd(int(c), int(a), int(b))
    return _ymd(int(c), int(b), int(a))


def parse_date(text: str, order: DateOrder) -> dt.date | None:
    value = text.strip()
    match = _ISO_DATE.match(value)
    if match:
        return _ymd(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _COMPACT_DATE.match(value)
    if match:
        return _ymd(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    match = _SLASHED.match(value)
    if match and match.group(4) is None:
        return _slashed(match.group(1), match.group(2), match.group(3), order)
    return None


def parse_datetime(text: str, order: DateOrder, zone: dt.tzinfo) -> dt.datetime | None:
    """ISO 8601 (with or without offset), or a slashed date with an optional time. A time
    without an offset is read in the organization's time zone."""
    value = text.strip()
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        match = _SLASHED.match(value)
        if match:
            day = _slashed(match.group(1), match.group(2), match.group(3), order)
            clock = _TIME.match(match.group(4).strip()) if match.group(4) else None
            if day is not None and (match.group(4) is None or clock is not None):
                hour = minute = second = 0
                if clock is not None:
                    hour, minute = int(clock.group(1)), int(clock.group(2))
                    second = int(clock.group(3) or 0)
                    meridiem = (clock.group(4) or "").lower()
                    if meridiem and not 1 <= hour <= 12:
                        return None
                    if meridiem == "pm" and hour != 12:
                        hour += 12
                    elif meridiem == "am" and hour == 12:
                        hour = 0
                try:
                    parsed = dt.datetime(day.year, day.month, day.day, hour, minute, second)
                except ValueError:
                    return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(dt.UTC)


def parse_money(text: str) -> Decimal | None:
    value = text.strip().strip(_CURRENCY).replace(" ", "").replace("\u00a0", "")
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        value = value.replace(",", "") if _THOUSANDS.match(value) else value.replace(",", ".")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def split_list(text: str) -> tuple[str, ...]:
    items: list[str] = []
    for part in LIST_SEPARATORS.split(text):
        label = " ".join(part.split())[:MAX_LABEL]
        if label and label not in items:
            items.append(label)
    return tuple(items[:MAX_LIST_ITEMS])


def store_key(text: str) -> str:
    return text.strip().casefold()


# Field names `normalize` and the order checks use in their errors -> fields of a file.
_CUSTOMER_ERROR_FIELDS = {
    "email": "email",
    "phone": "phone",
    "externalReference": "externalReference",
    "birthday": "birthday",
    "country": "country",
    "traits": None,
}
_ORDER_ERROR_FIELDS = {"receiptNumber": "receiptNumber", "total": "total", "placedAt": "placedAt"}


def _row_code(code: object) -> RowCode:
    value = getattr(code, "value", str(code))
    return RowCode(value) if value in RowCode._value2member_map_ else RowCode.INVALID


class _Row:
    """The cells of one record by field, collecting problems as they are found."""

    def __init__(self, config: ValidatorConfig, record: Record, cells: list[str]) -> None:
        self.config = config
        self.row = record.index + config.row_offset
        self.errors: list[RowError] = []
        self.cells = self._take(cells, config.plan.fields)
        self.traits = self._take(cells, config.plan.traits)

    def _take(self, cells: list[str], targets: tuple[tuple[int, str], ...]) -> dict[str, str]:
        """The non-empty cells of the given columns by target; a cell too long is an error."""
        out: dict[str, str] = {}
        headers = self.config.plan.headers
        for index, target in targets:
            cell = cells[index].strip()
            if not cell:
                continue
            if len(cell) > MAX_CELL_CHARS:
                self.error(headers[index], RowCode.FIELD_TOO_LONG, "The cell is too long.")
                continue
            out[target] = cell
        return out

    def column(self, name: str | None) -> str | None:
        return None if name is None else self.config.plan.column_of(name)

    def error(self, column: str | None, code: RowCode, message: str) -> None:
        self.errors.append(RowError(self.row, column, code, message))

    def field_error(self, name: str, code: RowCode, message: str) -> None:
        self.error(self.column(name), code, message)

    def flag(self, name: str) -> bool | None:
        raw = self.cells.get(name)
        if raw is None:
            return None
        value = parse_bool(raw)
        if value is None:
            self.field_error(name, RowCode.INVALID_BOOLEAN, "Not a yes/no value.")
        return value

    def store(self, name: str) -> uuid.UUID | None:
        raw = self.cells.get(name)
        if raw is None:
            return None
        found = self.config.stores.get(store_key(raw))
        if found is None:
            self.field_error(name, RowCode.STORE_NOT_FOUND, "No store has this code or id.")
        return found

    def adopt(self, errors: list[FieldError], names: Mapping[str, str | None]) -> None:
        for error in errors:
            name = names.get(error.field or "")
            self.error(self.column(name), _row_code(error.code), error.message)


def _first_error(record: Record, config: ValidatorConfig) -> RowError | None:
    row = record.index + config.row_offset
    if record.cells is None:
        if record.problem == "too_long":
            return RowError(row, None, RowCode.FIELD_TOO_LONG, "A cell is too long to read.")
        return RowError(row, None, RowCode.MALFORMED_ROW, "The row is not valid CSV (quotes).")
    width = config.plan.width
    cells = record.cells
    if len(cells) < width or (len(cells) > width and not is_blank(cells[width:])):
        return RowError(
            row,
            None,
            RowCode.RAGGED_ROW,
            f"The row has {len(cells)} fields; the header has {width}.",
        )
    return None


def _open(config: ValidatorConfig, record: Record) -> _Row | InvalidRow | None:
    """The record's cells by field; None for a blank record, or why it cannot be read."""
    if record.cells is not None and is_blank(record.cells):
        return None
    problem = _first_error(record, config)
    if problem is not None:
        return InvalidRow(record.index, [problem])
    assert record.cells is not None
    return _Row(config, record, record.cells)


def validate_customer(config: ValidatorConfig, record: Record) -> RowResult:
    row = _open(config, record)
    if not isinstance(row, _Row):
        return row
    cells = row.cells
    data = CustomerInput(
        email=cells.get("email", UNSET),
        phone=cells.get("phone", UNSET),
        external_reference=cells.get("externalReference", UNSET),
        first_name=cells.get("firstName", UNSET),
        last_name=cells.get("lastName", UNSET),
        city=cells.get("city", UNSET),
        region=cells.get("region", UNSET),
        postal_code=cells.get("postalCode", UNSET),
        country=cells.get("country", UNSET),
    )
    full = cells.get("fullName")
    if full is not None:
        first, _, last = full.rpartition(" ")
        if data.first_name is UNSET:
            data.first_name = first or last
        if data.last_name is UNSET and first:
            data.last_name = last
    birthday = cells.get("birthday")
    if birthday is not None:
        day = parse_date(birthday, config.date_order)
        if day is None:
            row.field_error("birthday", RowCode.INVALID_DATE, "Not a date this import can read.")
        else:
            data.birthday = day
    if row.traits:
        data.traits = dict(row.traits)
    enrolled = row.flag("loyaltyEnrolled")
    if enrolled is not None:
        data.loyalty_enrolled = enrolled
    email_opt_in = row.flag("emailOptIn")
    sms_opt_in = row.flag("smsOptIn")
    store_id = row.store("favoriteStore")
    out = normalize(data, config.region, config.now.date())
    row.adopt(out.errors, _CUSTOMER_ERROR_FIELDS)
    values = out.values
    has_identifier = any(k in cells for k in ("email", "phone", "externalReference"))
    if not has_identifier:
        row.error(
            None, RowCode.MISSING_IDENTIFIER, "The row has no email, phone or external reference."
        )
    if row.errors:
        return InvalidRow(record.index, row.errors)
    for key in IDENTIFIERS:
        if values.get(key) is None:
            values.pop(key, None)
    keys = tuple((key, values[key]) for key in IDENTIFIERS if key in values)
    create: Row | None = None
    create_consent: tuple[Row, ...] = ()
    create_error: RowError | None = None
    layout = config.records
    if layout is not None:
        try:
            created, changes = apply_row(NEW_VALUES, values, store_id, email_opt_in, sms_opt_in)
        except DomainError as exc:
            column = config.plan.column_of(
                "emailOptIn" if exc.field == "emailOptIn" else "smsOptIn"
            )
            create_error = RowError(row.row, column, RowCode.CONSENT_NEEDS_CONTACT, exc.message)
        else:
            customer_id = new_id()
            create = customer_record(layout, customer_id, CustomerStatus.ACTIVE, created)
            create_consent = tuple(consent_records(layout, customer_id, changes))
    change = (values, email_opt_in, sms_opt_in, store_id)
    return CustomerRow(
        record.index,
        row.row,
        keys,
        create,
        create_consent,
        create_error,
        pickle.dumps(change, protocol=pickle.HIGHEST_PROTOCOL),
    )


def validate_order(config: ValidatorConfig, record: Record) -> RowResult:
    row = _open(config, record)
    if not isinstance(row, _Row):
        return row
    cells = row.cells
    keys = normalize(
        CustomerInput(
            email=cells.get("customerEmail", UNSET),
            phone=cells.get("customerPhone", UNSET),
        ),
        config.region,
        config.now.date(),
    )
    row.adopt(keys.errors, {"email": "customerEmail", "phone": "customerPhone"})
    reference = cells.get("customerExternalReference")
    if reference is not None and len(reference) > MAX_EXTERNAL_REFERENCE:
        row.field_error(
            "customerExternalReference", RowCode.INVALID, "External reference is too long."
        )
    customer_id: uuid.UUID | None = None
    if "customerId" in cells:
        try:
            customer_id = uuid.UUID(cells["customerId"])
        except ValueError:
            row.field_error("customerId", RowCode.INVALID_ID, "Not a customer id.")
    if not any(
        k in cells
        for k in ("customerExternalReference", "customerEmail", "customerPhone", "customerId")
    ):
        row.error(None, RowCode.MISSING_IDENTIFIER, "The row does not say which customer.")
    placed_at: dt.datetime | None = None
    if "placedAt" in cells:
        placed_at = parse_datetime(cells["placedAt"], config.date_order, ZoneInfo(config.timezone))
        if placed_at is None:
            row.field_error("placedAt", RowCode.INVALID_DATE, "Not a date this import can read.")
    else:
        row.field_error("placedAt", RowCode.REQUIRED, "The order date is required.")
    total: Decimal | None = None
    if "total" in cells:
        total = parse_money(cells["total"])
        if total is None:
            row.field_error("total", RowCode.INVALID_TOTAL, "Not an amount.")
    else:
        row.field_error("total", RowCode.REQUIRED, "The total is required.")
    store_id = row.store("store")
    units = _units(row, cells.get("units"))
    receipt = cells.get("receiptNumber", "")
    checked: tuple[str, Decimal, dt.datetime] | None = None
    if placed_at is not None and total is not None:
        try:
            checked = validate_order_fields(
                OrderInput(_NIL_UUID, receipt, total, placed_at, store_id), config.now
            )
        except ValidationFailed as exc:
            row.adopt(exc.errors, _ORDER_ERROR_FIELDS)
    elif not receipt:
        row.field_error("receiptNumber", RowCode.REQUIRED, "Receipt number is required.")
    if row.errors or checked is None:
        return InvalidRow(record.index, row.errors)
    receipt, total, placed_at = checked
    return OrderRow(
        index=record.index,
        row=row.row,
        external_reference=reference,
        email=keys.values.get("email"),
        phone=keys.values.get("phone"),
        customer_id=customer_id,
        receipt_number=receipt,
        total=total,
        placed_at=placed_at,
        store_id=store_id,
        categories=split_list(cells.get("categories", "")),
        tags=split_list(cells.get("tags", "")),
        units=units,
    )


MAX_UNITS = 1_000_000


def _units(row: _Row, text: str | None) -> int | None:
    """A whole, non-negative number of units; blank is unknown."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    whole = value[:-2] if value.endswith(".0") else value
    if not whole.isdigit() or int(whole) > MAX_UNITS:
        row.field_error(
            "units", RowCode.INVALID, f"Not a whole number of units from 0 to {MAX_UNITS}."
        )
        return None
    return int(whole)


def validate(config: ValidatorConfig, record: Record) -> RowResult:
    if config.kind is ImportKind.CUSTOMERS:
        return validate_customer(config, record)
    return validate_order(config, record)


def validate_batch(config: ValidatorConfig, batch: list[Record]) -> list[RowResult]:
    """The unit of work sent to a validation process."""
    check = validate_customer if config.kind is ImportKind.CUSTOMERS else validate_order
    return [check(config, record) for record in batch]
