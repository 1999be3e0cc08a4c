from __future__ import annotations

from enum import StrEnum


class PrivacyErrorCode(StrEnum):
    """Failures of privacy operations."""

    INVALID = "INVALID"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
