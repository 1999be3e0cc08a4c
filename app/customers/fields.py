"""Validation and normalization of customer input, shared by the API and imports.

`CustomerInput` carries what the client sent (UNSET = not sent); `normalize` turns it into
column values or a list of every field error at once. No database access here.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import FieldError
from app.core.identifiers import (
    InvalidIdentifier,
    is_supported_region,
    name_key,
    normalize_email,
    normalize_phone,
)
from app.core.unset import UNSET, Unset
from app.customers.errors import CustomerErrorCode as Code
from app.models.customer import FavoriteStoreSource

MAX_NAME = 100
MAX_EXTERNAL_REFERENCE = 128
MAX_TRAITS_BYTES = 64 * 1024
# One encoder, reused: `json.dumps` with options builds a new one on every call.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))
OLDEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class FavoriteStoreChoice:
    store_id: uuid.UUID
    source: FavoriteStoreSource


@dataclass
class CustomerInput:
    email: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    external_reference: str | Unset | None = UNSET
    first_name: str | Unset | None = UNSET
    last_name: str | Unset | None = UNSET
    birthday: dt.date | Unset | None = UNSET
    city: str | Unset | None = UNSET
    region: str | Unset | None = UNSET
    postal_code: str | Unset | None = UNSET
    country: str | Unset | None = UNSET
    traits: dict[str, Any] | Unset | None = UNSET
    signup_form_id: uuid.UUID | Unset | None = UNSET
    loyalty_enrolled: bool | Unset = UNSET
    favorite_store: FavoriteStoreChoice | Unset | None = UNSET
    email_opt_in: bool | Unset = UNSET
    sms_opt_in: bool | Unset = UNSET
    # Only on creation: who referred this customer (earns the referral bonus).
    referred_by_id: uuid.UUID | Unset | None = UNSET


@dataclass
class Normalized:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    def error(self, code: Code, message: str, field_name: str) -> None:
        self.errors.append(FieldError(code, message, field_name))


def birthday_monthday(birthday: dt.date | None) -> int | None:
    return None if birthday is None else birthday.month * 100 + birthday.day


def _text(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    stripped = " ".join(value.split())
    return stripped[:limit] if stripped else None


def check_traits(traits: Any, out: Normalized) -> dict[str, Any] | None:
    if not isinstance(traits, dict):
        out.error(Code.INVALID_TRAITS, "Traits must be a JSON object.", "traits")
        return None
    try:
        size = len(_COMPACT_JSON.encode(traits).encode())
    except (TypeError, ValueError):
        out.error(Code.INVALID_TRAITS, "Traits must be plain JSON.", "traits")
        return None
    if size > MAX_TRAITS_BYTES:
        out.error(Code.INVALID_TRAITS, "Traits are larger than 64 KiB.", "traits")
        return None
    return traits


def normalize(data: CustomerInput, default_region: str, today: dt.date) -> Normalized:
    out = Normalized()
    v = out.values

    if data.email is not UNSET:
        if data.email is None or not data.email.strip():
            v["email"] = None
        else:
            try:
                v["email"] = normalize_email(data.email)
            except InvalidIdentifier as exc:
                out.error(Code.INVALID_EMAIL, exc.message, "email")
    if data.phone is not UNSET:
        if data.phone is None or not data.phone.strip():
            v["phone"] = None
        else:
            try:
                v["phone"] = normalize_phone(data.phone, default_region)
            except InvalidIdentifier as exc:
                out.error(Code.INVALID_PHONE, exc.message, "phone")
    if data.external_reference is not UNSET:
        ref = (data.external_reference or "").strip()
        if len(ref) > MAX_EXTERNAL_REFERENCE:
            out.error(Code.INVALID, "External reference is longer than 128.", "externalReference")
        else:
            v["external_reference"] = ref or None

    for attr, column_key in (("first_name", "first_name_key"), ("last_name", "last_name_key")):
        raw = getattr(data, attr)
        if raw is not UNSET:
            text = _text(raw, MAX_NAME) or ""
            v[attr] = text
            v[column_key] = name_key(text)

    if data.birthday is not UNSET:
        if data.birthday is not None and not (
            dt.date(OLDEST_BIRTH_YEAR, 1, 1) <= data.birthday <= today
        ):
            out.error(Code.INVALID_BIRTHDAY, "Birthday must be a past date.", "birthday")
        else:
            v["birthday"] = data.birthday
            v["birthday_monthday"] = birthday_monthday(data.birthday)

    for attr, limit in (("city", 100), ("region", 100), ("postal_code", 20)):
        raw = getattr(data, attr)
        if raw is not UNSET:
            v[attr] = _text(raw, limit)
    if data.country is not UNSET:
        country = (data.country or "").strip().upper()
        if country and not is_supported_region(country):
            out.error(Code.INVALID_COUNTRY, "Country must be an ISO 3166 alpha-2 code.", "country")
        else:
            v["country"] = country or None

    if data.traits is not UNSET:
        checked = check_traits({} if data.traits is None else data.traits, out)
        if checked is not None:
            v["traits"] = checked
    if data.signup_form_id is not UNSET:
        v["signup_form_id"] = data.signup_form_id
    if data.loyalty_enrolled is not UNSET:
        v["loyalty_enrolled"] = data.loyalty_enrolled
    return out
