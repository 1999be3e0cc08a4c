"""Customer rows as JSON and back: what a merge record keeps to undo the merge exactly.

`SNAPSHOT_FIELDS` is every column of a customer that a merge changes or an unmerge compares;
`RESTORED_FIELDS` the ones an unmerge writes back (wallet and order statistics are not
written back: they follow the ledger entries and orders that move back).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from app.merges.records import ConsentState, FavoriteStore, MergeCustomer
from app.models.customer import (
    Customer,
    CustomerStatus,
    FavoriteStoreSource,
    LifecycleStage,
    RfmSegment,
    SmsState,
)

Snapshot = dict[str, Any]

_DATE = ("birthday",)
_DATETIME = ("archived_at", "first_order_at", "last_order_at")
_UUID = ("signup_form_id", "favorite_store_id", "referred_by_id", "merged_into_id")
_ENUMS: Mapping[str, type[StrEnum]] = {
    "status": CustomerStatus,
    "favorite_store_source": FavoriteStoreSource,
    "sms_state": SmsState,
    "lifecycle_stage": LifecycleStage,
    "rfm_segment": RfmSegment,
}

IDENTIFIER_COLUMNS = ("email", "phone", "external_reference")
# The profile: what an unmerge writes back on the merged customer (and, on the survivor,
# where the merge changed a value nobody changed since).
PROFILE_FIELDS: tuple[str, ...] = (
    *IDENTIFIER_COLUMNS,
    "first_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "birthday",
    "birthday_monthday",
    "city",
    "region",
    "postal_code",
    "country",
    "traits",
    "signup_form_id",
    "loyalty_enrolled",
    "favorite_store_id",
    "favorite_store_source",
    "email_opt_in",
    "sms_state",
    "push_opt_in",
)
STATUS_FIELDS = ("status", "merged_into_id", "archived_at", "archive_reason", "referred_by_id")
SEGMENT_FIELDS = (
    "lifecycle_stage",
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_segment",
)
STATS_FIELDS = (
    "points_balance",
    "lifetime_points",
    "order_count",
    "total_spent",
    "first_order_at",
    "last_order_at",
)
SNAPSHOT_FIELDS = (*PROFILE_FIELDS, *STATUS_FIELDS, *SEGMENT_FIELDS, *STATS_FIELDS)
RESTORED_FIELDS = (*PROFILE_FIELDS, *STATUS_FIELDS, *SEGMENT_FIELDS)


def _encode(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def _decoder(name: str) -> Callable[[Any], Any]:
    if name in _DATE:
        return dt.date.fromisoformat
    if name in _DATETIME:
        return dt.datetime.fromisoformat
    if name in _UUID:
        return uuid.UUID
    if name in _ENUMS:
        return _ENUMS[name]
    if name == "total_spent":
        return Decimal
    return lambda value: value


def snapshot_of(customer: Customer) -> Snapshot:
    return {name: _encode(getattr(customer, name)) for name in SNAPSHOT_FIELDS}


def decode(name: str, value: Any) -> Any:
    return None if value is None else _decoder(name)(value)


def restore(customer: Customer, snapshot: Snapshot, names: tuple[str, ...]) -> None:
    for name in names:
        setattr(customer, name, decode(name, snapshot[name]))


def merge_customer(
    customer: Customer, opted_out: Mapping[str, bool] | None = None
) -> MergeCustomer:
    """The customer as the merge plan reads it. `opted_out`: channels ("email", "push") whose
    latest evidence is an explicit opt-out (the row keeps only a boolean for them)."""
    out = opted_out or {}

    def flag_state(opted_in: bool, channel: str) -> ConsentState:
        if opted_in:
            return SmsState.SUBSCRIBED
        return SmsState.UNSUBSCRIBED if out.get(channel) else SmsState.NOT_SUBSCRIBED

    store_id = customer.favorite_store_id
    source = customer.favorite_store_source
    return MergeCustomer(
        id=customer.id,
        email=customer.email,
        phone=customer.phone,
        external_reference=customer.external_reference,
        first_name=customer.first_name,
        last_name=customer.last_name,
        birthday=customer.birthday,
        city=customer.city,
        region=customer.region,
        postal_code=customer.postal_code,
        country=customer.country,
        signup_form_id=customer.signup_form_id,  # type: ignore[arg-type]
        traits=dict(customer.traits or {}),
        favorite_store=(
            FavoriteStore(store_id, source)  # type: ignore[arg-type]
            if store_id is not None and source is not None
            else None
        ),
        email_consent=flag_state(customer.email_opt_in, "email"),
        sms_consent=customer.sms_state,
        push_consent=flag_state(customer.push_opt_in, "push"),
    )
