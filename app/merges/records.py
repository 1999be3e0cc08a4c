"""What a merge plan reads and returns: plain values, no ORM.

The service loads customers into `MergeCustomer`s (consent states derived from the customer's
flags and its latest consent events), asks `rules.plan_merge` for the result and writes it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from app.models.customer import FavoriteStoreSource, SmsState

# The four states SMS has are the states any channel can be in: email and push never use
# PENDING (no double opt-in), and UNSUBSCRIBED is an explicit opt-out, not the absence of consent.
ConsentState: TypeAlias = SmsState

# Core fields that merge value by value, in the order a dry run lists them.
IDENTIFIER_FIELDS: tuple[str, ...] = ("email", "phone", "external_reference")
MERGED_FIELDS: tuple[str, ...] = (
    *IDENTIFIER_FIELDS,
    "first_name",
    "last_name",
    "birthday",
    "city",
    "region",
    "postal_code",
    "country",
    "signup_form_id",
)
CONSENT_FIELDS: tuple[str, ...] = ("email_consent", "sms_consent", "push_consent")
FAVORITE_STORE_FIELD = "favorite_store"
# A choice or provenance key for one trait is this prefix followed by the trait's key.
TRAIT_PREFIX = "traits."


class IdentifierKind(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    EXTERNAL_REFERENCE = "EXTERNAL_REFERENCE"


IDENTIFIER_KINDS: Mapping[str, IdentifierKind] = {
    "email": IdentifierKind.EMAIL,
    "phone": IdentifierKind.PHONE,
    "external_reference": IdentifierKind.EXTERNAL_REFERENCE,
}


@dataclass(frozen=True)
class FavoriteStore:
    store_id: uuid.UUID
    source: FavoriteStoreSource


@dataclass(frozen=True)
class MergeCustomer:
    """One customer as a merge sees it (also the shape of the merge's result)."""

    id: uuid.UUID
    email: str | None = None
    phone: str | None = None
    external_reference: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birthday: dt.date | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    signup_form_id: uuid.UUID | None = None
    traits: Mapping[str, object] = field(default_factory=dict)
    favorite_store: FavoriteStore | None = None
    email_consent: ConsentState = SmsState.NOT_SUBSCRIBED
    sms_consent: ConsentState = SmsState.NOT_SUBSCRIBED
    push_consent: ConsentState = SmsState.NOT_SUBSCRIBED


@dataclass(frozen=True)
class Alias:
    """An identifier that stops being live and keeps leading to the survivor."""

    kind: IdentifierKind
    value: str
    customer_id: uuid.UUID


@dataclass(frozen=True)
class MergePlan:
    """The resulting customer and, per key, the id of the record its value comes from.

    Keys of `provenance`: every name of `MERGED_FIELDS` and `CONSENT_FIELDS`,
    `favorite_store`, and `traits.<key>` for every trait of the result.
    """

    customer: MergeCustomer
    provenance: Mapping[str, uuid.UUID]
    aliases: tuple[Alias, ...]


def value_at(customer: MergeCustomer, key: str) -> object:
    """The value a provenance or choice key names on one record (None when absent)."""
    if key.startswith(TRAIT_PREFIX):
        return customer.traits.get(key[len(TRAIT_PREFIX) :])
    return getattr(customer, key)


def is_blank(value: object) -> bool:
    """Nothing worth keeping: absent, an empty string, or an empty JSON list or object."""
    if value is None:
        return True
    if isinstance(value, str | list | dict):
        return not value
    return False
