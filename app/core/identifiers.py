"""Normalization of the identifiers that make a customer unique.

Every path that accepts an email, a phone or a name (GraphQL, POS lookup, search, imports)
goes through these functions, so `(202) 555-0143` and `+1 202-555-0143` are one customer.
Errors name the problem, never the value: identifiers are personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class IdentifierProblem(StrEnum):
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"


class InvalidIdentifier(ValueError):
    def __init__(self, problem: IdentifierProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


MAX_EMAIL_LENGTH = 254


@lru_cache(maxsize=65536)
def normalize_email(raw: str) -> str:
    """Trimmed, validated, whole address lower-cased (DESIGN: local part included)."""
    candidate = raw.strip()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidIdentifier(IdentifierProblem.INVALID_EMAIL, "Email address is not valid.")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidIdentifier(
            IdentifierProblem.INVALID_EMAIL, "Email address is not valid."
        ) from None
    return result.normalized.lower()


def looks_like_email(raw: str) -> bool:
    return "@" in raw


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, default_region: str) -> str:
    """E.164, parsed with the organization's default region for national formats."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 40:
        raise InvalidIdentifier(IdentifierProblem.INVALID_PHONE, "Phone number is not valid.")
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(
            IdentifierProblem.INVALID_PHONE, "Phone number is not valid."
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier(IdentifierProblem.INVALID_PHONE, "Phone number is not valid.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_PHONE_CHARS = frozenset("0123456789+-(). ")


def looks_like_phone(raw: str) -> bool:
    """A search term that can only be a phone number: phone punctuation and 7+ digits."""
    text = raw.strip()
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 7 and all(ch in _PHONE_CHARS for ch in text)


def name_key(raw: str) -> str:
    """Case- and accent-insensitive form of a name, for prefix search through an index."""
    decomposed = unicodedata.normalize("NFKD", raw.strip())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def is_supported_region(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    if name not in _timezones():
        return False
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return False
    return True


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of a normalized identifier; the purpose separates key uses."""
    key = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
