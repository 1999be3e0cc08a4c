from __future__ import annotations

from enum import StrEnum


class AccountErrorCode(StrEnum):
    """Failures of login, staff and API key operations."""

    INVALID = "INVALID"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_EMAIL = "INVALID_EMAIL"
    PASSWORD_TOO_SHORT = "PASSWORD_TOO_SHORT"
    DUPLICATE_EMAIL = "DUPLICATE_EMAIL"
    NOT_FOUND = "NOT_FOUND"
    INVALID_SCOPE = "INVALID_SCOPE"
    ROLE_NOT_GRANTABLE = "ROLE_NOT_GRANTABLE"
    LAST_OWNER = "LAST_OWNER"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    # The credentials open several organizations: name one (the payload lists them).
    ORGANIZATION_REQUIRED = "ORGANIZATION_REQUIRED"
