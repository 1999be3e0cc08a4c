from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.file_uploads import Upload

from app.graphql.enums import DateOrder, ImportKind, ImportPolicy, MatchKey, SmsDoubleOptIn
from app.graphql.pagination import SortDirection
from app.imports.options import DEFAULT_MATCH_KEYS, ImportOptions, SmsSchedule
from app.imports.sorting import ImportJobSortField


@strawberry.input(description="Feed one column of the file to a field (null: ignore it).")
class ImportColumnMappingInput:
    column: str = strawberry.field(description="The column's header, as in the file.")
    field: str | None = strawberry.field(
        default=None,
        description="Customers: externalReference, email, phone, firstName, lastName, fullName, "
        "birthday, city, region, postalCode, country, emailOptIn, smsOptIn, loyaltyEnrolled, "
        "favoriteStore (store code or id), traits.<key>. Orders: customerExternalReference, "
        "customerEmail, customerPhone, customerId, receiptNumber, placedAt, store, total, "
        "categories, tags.",
    )


@strawberry.input
class SmsDoubleOptInInput:
    send: SmsDoubleOptIn
    at: dt.datetime | None = strawberry.field(
        default=None, description="With AT only: in the future, within a year (UTC if no zone)."
    )

    def to_schedule(self) -> SmsSchedule:
        return SmsSchedule(self.send, self.at)


@strawberry.input
class ImportStartInput:
    kind: ImportKind
    file: Upload = strawberry.field(description="The CSV file (multipart upload).")
    mapping: list[ImportColumnMappingInput] | None = strawberry.field(
        default=None,
        description="Explicit choices; other columns are mapped from common header names.",
    )
    match_key: list[MatchKey] | None = strawberry.field(
        default=None,
        description="Keys that find an existing customer, by priority. Default: "
        "EXTERNAL_REFERENCE, EMAIL, PHONE.",
    )
    policy: ImportPolicy = ImportPolicy.UPSERT
    dry_run: bool = False
    sms_double_opt_in: SmsDoubleOptInInput | None = strawberry.field(
        default=None,
        description="When the double opt-in texts go out to customers the file puts in SMS "
        "PENDING. Default: NEVER.",
    )
    unmapped_columns_as_traits: bool = False
    award_points: bool = strawberry.field(
        default=False, description="Orders: earn points by the program's rule."
    )
    date_order: DateOrder | None = strawberry.field(
        default=None, description="Default: month first for US organizations, else day first."
    )
    batch_size: int | None = None
    throttle_ms: int = 0
    delimiter: str | None = strawberry.field(default=None, description="Default: detected.")
    encoding: str | None = strawberry.field(
        default=None, description="utf-8 or latin-1. Default: detected."
    )

    def to_options(self) -> ImportOptions:
        sms = self.sms_double_opt_in
        return ImportOptions(
            mapping=tuple((m.column, m.field) for m in self.mapping or []),
            match_keys=tuple(self.match_key) if self.match_key is not None else DEFAULT_MATCH_KEYS,
            policy=self.policy,
            sms_double_opt_in=sms.to_schedule() if sms else SmsSchedule(),
            unmapped_as_traits=self.unmapped_columns_as_traits,
            award_points=self.award_points,
            date_order=self.date_order,
            batch_size=self.batch_size,
            throttle_ms=self.throttle_ms,
            delimiter=self.delimiter,
            encoding=self.encoding,
        )


strawberry.enum(
    ImportJobSortField, description="FINISHED_AT: NULL while a job runs (sorted last ascending)."
)


@strawberry.input(description="The order of the import history; ties are broken by id.")
class ImportJobSortInput:
    field: ImportJobSortField
    direction: SortDirection = SortDirection.ASC
