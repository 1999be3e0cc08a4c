"""One batch of customer rows: match, decide, write.

Rows are decided one by one in file order against the customers the batch's identifiers find
in the database (read once, locked on PostgreSQL), with the effects of earlier rows of the
batch applied, so the outcome is the one a row-by-row import would give:

1. A row repeating an identifier an earlier row of the file claimed is a `DUPLICATE_IN_FILE`
   error naming that row: the first row with an identifier wins, deterministically.
2. The row is matched by the first match key (external reference > email > phone by default)
   whose value finds a customer. A match that cannot be written to is `suppressed`.
3. No match: a new customer. A match: with UPSERT, the non-empty cells update it (traits are
   merged key by key; an empty cell never clears a value); with CREATE_ONLY it is left as it is
   (`unchanged`). An identifier of the row that belongs to another customer is an error, as in
   the API (`DUPLICATE_EMAIL`, ...).
4. Favorite store: source IMPORT, and only where `favorite_store.may_replace` allows.
5. Consent: `consent_rules.consent_transition`, the API's rule (SMS opt-in -> PENDING).

Consent changes are recorded as evidence with source IMPORT and the text `import:<job id>`,
which is how the SMS double opt-in work finds the customers of a job whose texts it must send
(at the time in the job's `sms_double_opt_in` option).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import DomainError
from app.customers.repository import visibility
from app.imports.errors import RowErrorCode as RowCode
from app.imports.mapping import ColumnPlan
from app.imports.options import ImportOptions, ImportPolicy, MatchKey
from app.imports.records import (
    IDENTIFIERS,
    WRITABLE,
    ConsentChanges,
    RecordLayout,
    Row,
    apply_row,
    consent_records,
    customer_record,
)
from app.imports.repository import lookups
from app.imports.repository.batch import BatchSql, as_date, as_uuid, load_json
from app.imports.rows import CustomerRow, RowError
from app.imports.seen import BatchClaims, Key
from app.imports.suppression import Suppression
from app.models.customer import CustomerStatus, FavoriteStoreSource, SmsState

MATCH_COLUMN = {
    MatchKey.EXTERNAL_REFERENCE: "external_reference",
    MatchKey.EMAIL: "email",
    MatchKey.PHONE: "phone",
}
# Identifier column -> the field of a file, for naming the column in row errors.
FILE_FIELD = {"external_reference": "externalReference", "email": "email", "phone": "phone"}
LABEL = {"external_reference": "external reference", "email": "email", "phone": "phone"}
DUPLICATE_CODE = {
    "external_reference": RowCode.DUPLICATE_EXTERNAL_REFERENCE,
    "email": RowCode.DUPLICATE_EMAIL,
    "phone": RowCode.DUPLICATE_PHONE,
}


def keys_of(values: dict[str, Any]) -> list[Key]:
    return [(column, values[column]) for column in IDENTIFIERS if values.get(column)]


@dataclass(slots=True)
class CustomerState:
    id: uuid.UUID
    status: CustomerStatus
    values: dict[str, Any]
    # What the database holds, to tell an update from no change.
    original: dict[str, Any]

    @property
    def changed_identifiers(self) -> list[str]:
        return [c for c in IDENTIFIERS if self.values.get(c) != self.original.get(c)]


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    suppressed: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class CustomerDecisions(BatchOutcome):
    # New customers: rows prepared by the validation processes.
    inserts: list[Row] = field(default_factory=list)
    # Existing customers the batch changes (one entry per customer, its final state).
    dirty: dict[uuid.UUID, CustomerState] = field(default_factory=dict)
    consent: list[Row] = field(default_factory=list)


class _NewCustomer:
    """An identifier holder created earlier in the batch (only its identity matters)."""

    __slots__ = ()
    status = CustomerStatus.ACTIVE


_CREATED = _NewCustomer()
Holder = CustomerState | _NewCustomer


class CustomerDecider:
    def __init__(
        self,
        options: ImportOptions,
        plan: ColumnPlan,
        layout: RecordLayout,
        existing: list[CustomerState],
        claims: BatchClaims,
        suppression: Suppression,
        aliases: dict[Key, CustomerState] | None = None,
    ) -> None:
        self.options = options
        self.plan = plan
        self.layout = layout
        self.claims = claims
        self.suppression = suppression
        self.owner: dict[Key, Holder] = {}
        for state in existing:
            for key in keys_of(state.values):
                self.owner[key] = state
        # Identifiers of merged customers: they match the survivor, and stay aliases (a row
        # never makes one live again on the survivor).
        self.aliased = set(aliases or {})
        self.owner.update(aliases or {})
        self.result = CustomerDecisions()

    def _error(self, row: CustomerRow, field_name: str | None, code: RowCode, text: str) -> None:
        column = self.plan.column_of(field_name) if field_name else None
        self.result.errors.append(RowError(row.row, column, code, text))
        self.result.invalid += 1

    def decide(self, row: CustomerRow) -> None:
        keys = list(row.keys)
        claims = self.claims
        for key in keys:
            first = claims.first_row(key)
            if first is not None:
                column = key[0]
                self._error(
                    row,
                    FILE_FIELD[column],
                    RowCode.DUPLICATE_IN_FILE,
                    f"Same {LABEL[column]} as row {first}.",
                )
                return
        owners = [self.owner.get(key) for key in keys]
        suppressed = self.suppression.is_suppressed
        if suppressed(keys, None):
            # A blocked identifier: skipped whether or not a customer holds it.
            self.result.suppressed += 1
            claims.claim(keys, row.row)
            return
        if not any(owners):
            self._create(row, keys)
            return
        match = self._match(row)
        if (match is not None and suppressed(keys, match.status)) or any(
            o is not None and suppressed(keys, o.status) for o in owners
        ):
            self.result.suppressed += 1
            claims.claim(keys, row.row)
            return
        for (column, _), holder in zip(keys, owners, strict=True):
            if holder is not None and holder is not match:
                self._error(
                    row,
                    FILE_FIELD[column],
                    DUPLICATE_CODE[column],
                    f"Another customer already has this {LABEL[column]}.",
                )
                return
        if match is None:
            self._create(row, keys)
        elif not isinstance(match, CustomerState) or (
            self.options.policy is ImportPolicy.CREATE_ONLY
        ):
            self.result.unchanged += 1
            claims.claim(keys, row.row)
        else:
            self._update(row, keys, match)

    def _match(self, row: CustomerRow) -> Holder | None:
        for key in self.options.match_keys:
            column = MATCH_COLUMN[key]
            value = row.key(column)
            if value:
                found = self.owner.get((column, value))
                if found is not None:
                    return found
        return None

    def _create(self, row: CustomerRow, keys: list[Key]) -> None:
        if row.create_error is not None:
            self.result.errors.append(row.create_error)
            self.result.invalid += 1
            return
        assert row.create is not None
        self.result.inserts.append(row.create)
        if row.create_consent:
            self.result.consent.extend(row.create_consent)
        for key in keys:
            self.owner[key] = _CREATED
        self.result.created += 1
        self.claims.claim(keys, row.row)

    def _update(self, row: CustomerRow, keys: list[Key], state: CustomerState) -> None:
        change = row.change()
        try:
            values, changes = apply_row(
                state.values,
                change.values,
                change.favorite_store_id,
                change.email_opt_in,
                change.sms_opt_in,
            )
        except DomainError as exc:
            name = "emailOptIn" if exc.field == "emailOptIn" else "smsOptIn"
            self._error(row, name, RowCode.CONSENT_NEEDS_CONTACT, exc.message)
            return
        self.claims.claim(keys, row.row)
        for column in IDENTIFIERS:
            if (column, values.get(column)) in self.aliased:
                values[column] = state.values.get(column)
        if values == state.values:
            self.result.unchanged += 1
            return
        for column in IDENTIFIERS:
            before, after = state.values.get(column), values.get(column)
            if before != after:
                if before:
                    self.owner.pop((column, before), None)
                if after:
                    self.owner[(column, after)] = state
        state.values = values
        self.result.dirty[state.id] = state
        self._record_consent(state.id, changes)
        self.result.updated += 1

    def _record_consent(self, customer_id: uuid.UUID, changes: ConsentChanges) -> None:
        if changes:
            self.result.consent.extend(consent_records(self.layout, customer_id, changes))


# Reading and writing ---------------------------------------------------------------------

_SELECT = ("id", "status", *WRITABLE)


def _state_of(row: tuple[Any, ...]) -> CustomerState:
    raw = dict(zip(_SELECT, row, strict=True))
    values: dict[str, Any] = {c: raw[c] for c in WRITABLE}
    values["birthday"] = as_date(values["birthday"])
    values["traits"] = load_json(values["traits"]) or {}
    values["loyalty_enrolled"] = bool(values["loyalty_enrolled"])
    values["email_opt_in"] = bool(values["email_opt_in"])
    values["favorite_store_id"] = as_uuid(values["favorite_store_id"])
    source = values["favorite_store_source"]
    values["favorite_store_source"] = FavoriteStoreSource(source) if source else None
    values["sms_state"] = SmsState(values["sms_state"])
    customer_id = as_uuid(raw["id"])
    assert customer_id is not None
    return CustomerState(customer_id, CustomerStatus(raw["status"]), values, dict(values))


async def load_existing(
    sql: BatchSql, organization_id: uuid.UUID, keys: list[Key], *, lock: bool
) -> list[CustomerState]:
    """The customers (any status) holding any identifier of the batch; locked when writing."""
    by_column: dict[str, set[str]] = {c: set() for c in IDENTIFIERS}
    for column, value in keys:
        by_column[column].add(value)
    rows = await lookups.customers_holding(sql, organization_id, by_column, _SELECT, lock=lock)
    return [_state_of(r) for r in rows]


async def load_alias_owners(
    sql: BatchSql,
    organization_id: uuid.UUID,
    keys: list[Key],
    existing: list[CustomerState],
    *,
    lock: bool,
) -> dict[Key, CustomerState]:
    """The survivors of the batch's identifiers that are aliases of standing merges (read
    only for identifiers no live customer holds), as states shared with `existing`, which
    gains the survivors it did not hold yet."""
    live = {key for state in existing for key in keys_of(state.values)}
    by_column: dict[str, list[str]] = {c: [] for c in IDENTIFIERS}
    for column, value in keys:
        if (column, value) not in live:
            by_column[column].append(value)
    survivors: dict[Key, uuid.UUID] = {}
    for column, values in by_column.items():
        found = await visibility.alias_holders(organization_id, column, values, sql.conn)
        survivors |= {(column, value): customer.id for value, customer in found.items()}
    if not survivors:
        return {}
    states = {state.id: state for state in existing}
    missing = sorted({i for i in survivors.values() if i not in states})
    if missing:
        for customer_id in missing:
            rows = await lookups.customer_by_id(
                sql, organization_id, customer_id, _SELECT, lock=lock
            )
            for row in rows:
                state = _state_of(row)
                states[state.id] = state
                existing.append(state)
    return {key: states[i] for key, i in survivors.items() if i in states}


@dataclass(frozen=True)
class CustomerWriter:
    layout: RecordLayout

    async def write(self, sql: BatchSql, decisions: CustomerDecisions) -> None:
        states = list(decisions.dirty.values())
        # A batch may move an identifier from one customer to another; unique constraints are
        # checked row by row, so the old holders let go of changed identifiers first.
        for column in IDENTIFIERS:
            await sql.null_columns(
                "customer", column, [s.id for s in states if column in s.changed_identifiers]
            )
        await sql.upsert_by_id(
            "customer",
            self.layout.customer_columns,
            (*WRITABLE, "updated_at"),
            [customer_record(self.layout, s.id, s.status, s.values) for s in states],
        )
        # New customers have fresh ids, so they go straight in (COPY on PostgreSQL) without
        # the staging table and conflict handling updates need. One that takes an identifier
        # a concurrent request just gave someone breaks a unique index: the batch is retried.
        await sql.insert("customer", self.layout.customer_columns, decisions.inserts)
        await sql.insert("consent_event", self.layout.consent_columns, decisions.consent)
