"""Password hashing and bearer secrets.

Passwords get Argon2id (slow on purpose). Bearer tokens and API keys are 256-bit random
strings, so a single SHA-256 is enough to store them: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

STAFF_TOKEN_PREFIX = "lst_"
API_KEY_PREFIX = "lk_"
MIN_PASSWORD_LENGTH = 10

# Verified against when an email is unknown, so a login takes the same time either way.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_staff_token() -> str:
    return STAFF_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
