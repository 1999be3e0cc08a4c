"""One-time codes: drawn, hashed and compared, never kept in plaintext.

A code is 6 digits from the operating system's CSPRNG. What is stored is HMAC-SHA256 of a
per-code random salt and the code, keyed by the service's secret key: a copy of the database
alone does not let anyone test the million candidates. The identifier a code was sent to is
stored the same way (a keyed digest), so the table never holds an email or a phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from app.core.identifiers import keyed_hash

CODE_DIGITS = 6
_CODE_PURPOSE = b"verification-code:"


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def new_salt() -> str:
    return secrets.token_hex(16)


def code_digest(secret_key: str, salt: str, code: str) -> str:
    key = hashlib.sha256(_CODE_PURPOSE + secret_key.encode()).digest()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(secret_key: str, salt: str, code: str, digest: str) -> bool:
    return hmac.compare_digest(code_digest(secret_key, salt, code), digest)


def identifier_digest(secret_key: str, organization_id: str, identifier: str) -> str:
    return keyed_hash(secret_key, "verification-identifier", f"{organization_id}:{identifier}")


def clean_code(raw: str) -> str | None:
    """The 6 digits a shopper typed (spaces and dashes forgiven), or None."""
    digits = raw.replace(" ", "").replace("-", "").strip()
    if len(digits) != CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return digits
