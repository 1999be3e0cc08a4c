"""What one customer row does to a customer's columns, and the database rows that result.

Shared by the validation processes, which prepare the full insert of a new customer for every
valid row (most rows of a bulk load are new customers, and this is where the per-row work is),
and by the batch decider, which applies rows to customers that already exist.

The rules are the API's: `consent_rules.consent_transition` for consent (SMS opt-in -> PENDING),
`favorite_store.may_replace` for the favorite store (a file's store has source IMPORT), traits
merged key by key, an empty cell never clearing a value.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.core.ids import new_id
from app.core.pgcopy.rows import RowTemplate
from app.core.unset import UNSET
from app.customers.consent_rules import consent_transition
from app.customers.favorite_store import may_replace
from app.imports.repository.batch import dump_json
from app.models.consent import ConsentChannel, ConsentSource
from app.models.customer import CustomerStatus, FavoriteStoreSource, SmsState

# The columns an import may write; everything else of a customer is never touched.
WRITABLE = (
    "external_reference",
    "email",
    "phone",
    "first_name",
    "first_name_key",
    "last_name",
    "last_name_key",
    "birthday",
    "birthday_monthday",
    "city",
    "region",
    "postal_code",
    "country",
    "traits",
    "loyalty_enrolled",
    "favorite_store_id",
    "favorite_store_source",
    "email_opt_in",
    "sms_state",
)
IDENTIFIERS = ("external_reference", "email", "phone")
# Where traits sit among a customer row's variable columns (CUSTOMER_VARIABLE).
_TRAITS_AT = 2 + WRITABLE.index("traits")
NEW_VALUES: dict[str, Any] = {
    "external_reference": None,
    "email": None,
    "phone": None,
    "first_name": "",
    "first_name_key": "",
    "last_name": "",
    "last_name_key": "",
    "birthday": None,
    "birthday_monthday": None,
    "city": None,
    "region": None,
    "postal_code": None,
    "country": None,
    "traits": {},
    "loyalty_enrolled": True,
    "favorite_store_id": None,
    "favorite_store_source": None,
    "email_opt_in": False,
    "sms_state": SmsState.NOT_SUBSCRIBED,
}

ConsentChanges = tuple[tuple[ConsentChannel, str], ...]
# A database row: a tuple of values, or (PostgreSQL) the row in binary COPY format.
Row = tuple[Any, ...] | bytes


@dataclass(frozen=True)
class RecordLayout:
    """Column order and defaults of the rows an import writes (read from the models by the
    process that initialized Tortoise, and handed to the validation processes)."""

    organization_id: uuid.UUID
    job_id: uuid.UUID
    now: dt.datetime
    customer_columns: tuple[str, ...]
    customer_defaults: dict[str, Any]
    consent_columns: tuple[str, ...]
    consent_defaults: dict[str, Any]
    # PostgreSQL: rows are handed over in binary COPY format (app.core.pgcopy.rows);
    # SQLite: tuples.
    customer_template: RowTemplate | None = None
    consent_template: RowTemplate | None = None
    # SQLite stores UUIDs as text: rows carry them as text already.
    text_uuids: bool = False


# Columns that vary from row to row; the others hold the job's constants.
CUSTOMER_VARIABLE = ("id", "status", *WRITABLE)
CONSENT_VARIABLE = ("id", "customer_id", "channel", "state")


def job_constants(layout: RecordLayout, defaults: dict[str, Any]) -> dict[str, Any]:
    constants = dict(defaults)
    constants["organization_id"] = layout.organization_id
    constants["updated_at"] = layout.now
    return constants


def with_templates(
    layout: RecordLayout, customer_codes: Sequence[str] | None, consent_codes: Sequence[str] | None
) -> RecordLayout:
    """The layout with binary templates for PostgreSQL (codes: `pgcopy.rows.type_codes`)."""
    customer = consent = None
    if customer_codes is not None:
        customer = RowTemplate(
            customer_codes,
            layout.customer_columns,
            job_constants(layout, layout.customer_defaults),
            CUSTOMER_VARIABLE,
        )
    if consent_codes is not None:
        constants = job_constants(layout, layout.consent_defaults)
        constants.pop("updated_at", None)
        constants.update(source=ConsentSource.IMPORT.value, text=f"import:{layout.job_id}")
        consent = RowTemplate(consent_codes, layout.consent_columns, constants, CONSENT_VARIABLE)
    return replace(layout, customer_template=customer, consent_template=consent)


def apply_row(
    current: dict[str, Any],
    row_values: dict[str, Any],
    favorite_store_id: uuid.UUID | None,
    email_opt_in: bool | None,
    sms_opt_in: bool | None,
) -> tuple[dict[str, Any], ConsentChanges]:
    """The customer's values after the row, and the consent changes to record.

    Raises DomainError (CONSENT_NEEDS_CONTACT) when the row opts in a channel the customer
    has no contact for.
    """
    values = dict(current)
    for column, value in row_values.items():
        if column == "traits":
            merged = dict(values.get("traits") or {})
            merged.update(value)
            values["traits"] = merged
        else:
            values[column] = value
    if favorite_store_id is not None and may_replace(
        values["favorite_store_source"], FavoriteStoreSource.IMPORT
    ):
        values["favorite_store_id"] = favorite_store_id
        values["favorite_store_source"] = FavoriteStoreSource.IMPORT
    outcome = consent_transition(
        email=values["email"],
        phone=values["phone"],
        email_opt_in=values["email_opt_in"],
        sms_state=values["sms_state"],
        want_email=UNSET if email_opt_in is None else email_opt_in,
        want_sms=UNSET if sms_opt_in is None else sms_opt_in,
    )
    values["email_opt_in"] = outcome.email_opt_in
    values["sms_state"] = outcome.sms_state
    return values, outcome.changes


def customer_record(
    layout: RecordLayout, customer_id: uuid.UUID, status: CustomerStatus, values: dict[str, Any]
) -> Row:
    """A full `customer` row in `layout.customer_columns` order, as the drivers take it."""
    if layout.customer_template is not None:
        # The template encodes enums by their value; traits are always encoded here (a value
        # read from the database may be a JSON string, which the template would take as text).
        variable = [customer_id, status.value, *map(values.__getitem__, WRITABLE)]
        variable[_TRAITS_AT] = dump_json(variable[_TRAITS_AT])
        return layout.customer_template.encode(variable)
    record = dict(layout.customer_defaults)
    for column, value in values.items():
        if column == "traits":
            value = dump_json(value)
        elif isinstance(value, FavoriteStoreSource | SmsState):
            value = value.value
        record[column] = value
    record["id"] = customer_id
    record["organization_id"] = layout.organization_id
    record["status"] = status.value
    record["updated_at"] = layout.now
    if layout.text_uuids:
        return tuple(_text_uuid(record[c]) for c in layout.customer_columns)
    return tuple(record[c] for c in layout.customer_columns)


def _text_uuid(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def consent_records(
    layout: RecordLayout, customer_id: uuid.UUID, changes: ConsentChanges
) -> list[Row]:
    """Evidence rows for consent changes: source IMPORT, text `import:<job id>` (how the SMS
    double opt-in work finds the customers of a job)."""
    out: list[Row] = []
    template = layout.consent_template
    for channel, state in changes:
        if template is not None:
            out.append(template.encode((new_id(), customer_id, channel.value, state)))
            continue
        record = dict(layout.consent_defaults)
        record.update(
            id=new_id(),
            organization_id=layout.organization_id,
            customer_id=customer_id,
            channel=channel.value,
            state=state,
            source=ConsentSource.IMPORT.value,
            text=f"import:{layout.job_id}",
        )
        if layout.text_uuids:
            out.append(tuple(_text_uuid(record[c]) for c in layout.consent_columns))
        else:
            out.append(tuple(record[c] for c in layout.consent_columns))
    return out
