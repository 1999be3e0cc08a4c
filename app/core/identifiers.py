"""Normalization of the identifiers that make a customer unique.

Every path that accepts an email, a phone or a name (GraphQL, POS lookup, search, imports)
goes through these functions, so `(202) 555-0143` and `+1 202-555-0143` are one customer.
Errors name the problem, never the value: identifiers are personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from app.core.phone_validity import is_valid_national, is_valid_number


class IdentifierProblem(StrEnum):
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"


class InvalidIdentifier(ValueError):
    def __init__(self, problem: IdentifierProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


MAX_EMAIL_LENGTH = 254

# The plain addresses nearly every real file holds: a dot-atom local part of letters (ASCII,
# or the precomposed Latin-1 letters of names like Chloé, which Unicode normalization leaves
# as they are), digits, `_`, `+` and `-`; a domain of ASCII LDH labels with at least one dot,
# ending with a letter.
_SIMPLE_EMAIL = re.compile(
    r"([A-Za-z0-9_+\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff-]+"
    r"(?:\.[A-Za-z0-9_+\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff-]+)*)@"
    r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
)
_SPECIAL_USE_SUFFIXES = tuple("." + d for d in SPECIAL_USE_DOMAIN_NAMES)


def _simple_email(candidate: str) -> str | None:
    """email-validator's result for an address of the plain subset, without calling it.

    Returns None for anything outside the subset (the caller then asks email-validator), so
    the result is the same as `validate_email(...).normalized.lower()` on every input: a
    property test compares the two. This is ~15x cheaper, which matters for bulk imports.
    """
    match = _SIMPLE_EMAIL.fullmatch(candidate)
    if match is None:
        return None
    local, domain = match.group(1), match.group(2).lower()
    if len(local) > 64 or len(domain) > 253 or not domain[-1].isalpha():
        return None
    if not local.isascii() and (len(local.encode()) > 64 or len(candidate.encode()) > 254):
        return None  # lengths in octets: let email-validator judge
    if "xn--" in domain or any(label[2:4] == "--" for label in domain.split(".")):
        return None
    if domain in SPECIAL_USE_DOMAIN_NAMES or domain.endswith(_SPECIAL_USE_SUFFIXES):
        return None
    return f"{local.lower()}@{domain}"


# Sized for the identifiers requests repeat (a POS looking up today's shoppers): a bulk import's
# mostly unique ones would only fill a larger cache, in every validation process.
@lru_cache(maxsize=8192)
def normalize_email(raw: str) -> str:
    """Trimmed, validated, whole address lower-cased (DESIGN: local part included)."""
    candidate = raw.strip()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise InvalidIdentifier(IdentifierProblem.INVALID_EMAIL, "Email address is not valid.")
    simple = _simple_email(candidate)
    if simple is not None:
        return simple
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidIdentifier(
            IdentifierProblem.INVALID_EMAIL, "Email address is not valid."
        ) from None
    return result.normalized.lower()


def looks_like_email(raw: str) -> bool:
    return "@" in raw


_NANP_PUNCTUATION = str.maketrans("", "", "-(). ")
_NANP_LEADING = frozenset("23456789")


def _nanp_national_number(candidate: str, default_region: str) -> int | None:
    """The national number `phonenumbers.parse` finds in a plain North American number, or
    None when the input is anything else (the caller then asks `parse`).

    Plain means: ASCII digits and `-(). ` only, an optional leading `+`, and ten digits whose
    first is 2-9, written `+1 NXX...`, or (default region US) `1 NXX...` or `NXX...`. For these
    `parse` takes country code 1 from the `+`, or strips the national prefix 1, or reads the
    ten digits as national; validity is decided by `phone_validity`, which answers as
    `phonenumbers.is_valid_number` does. Property tests compare both paths. This skips the
    costly part of parsing for bulk imports.
    """
    plus = candidate.startswith("+")
    digits = (candidate[1:] if plus else candidate).translate(_NANP_PUNCTUATION)
    if not (digits.isascii() and digits.isdigit()):
        return None
    if len(digits) == 11 and digits[0] == "1":
        national = digits[1:]
    elif len(digits) == 10 and not plus:
        national = digits
    else:
        return None
    if not plus and default_region != "US":
        return None
    if national[0] not in _NANP_LEADING:
        return None
    return int(national)


@lru_cache(maxsize=8192)
def normalize_phone(raw: str, default_region: str) -> str:
    """E.164, parsed with the organization's default region for national formats."""
    candidate = raw.strip()
    if not candidate or len(candidate) > 40:
        raise InvalidIdentifier(IdentifierProblem.INVALID_PHONE, "Phone number is not valid.")
    national = _nanp_national_number(candidate, default_region)
    if national is not None:
        if not is_valid_national(1, str(national)):
            raise InvalidIdentifier(IdentifierProblem.INVALID_PHONE, "Phone number is not valid.")
        return f"+1{national}"
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(
            IdentifierProblem.INVALID_PHONE, "Phone number is not valid."
        ) from None
    if not is_valid_number(parsed):
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
    if raw.isascii():
        # NFKD leaves ASCII as it is, and casefold is lower there: the same key, cheaper.
        return " ".join(raw.lower().split())
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
