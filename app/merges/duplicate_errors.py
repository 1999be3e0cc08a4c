from __future__ import annotations

from enum import StrEnum


class DuplicateErrorCode(StrEnum):
    """Failures of duplicate-suggestion and placeholder-settings requests."""

    INVALID = "INVALID"
    # A customer id that is not a live customer of the organization.
    NOT_FOUND = "NOT_FOUND"
    # A dismissal names fewer than two distinct customers, or more than one merge takes.
    TOO_FEW_CUSTOMERS = "TOO_FEW_CUSTOMERS"
    TOO_MANY_CUSTOMERS = "TOO_MANY_CUSTOMERS"
    DUPLICATE_CUSTOMER_ID = "DUPLICATE_CUSTOMER_ID"
    # A placeholder value that is no email, phone or reference of its kind.
    INVALID_PLACEHOLDER = "INVALID_PLACEHOLDER"
    TOO_MANY_PLACEHOLDERS = "TOO_MANY_PLACEHOLDERS"
    INVALID_THRESHOLD = "INVALID_THRESHOLD"
