from __future__ import annotations

from enum import StrEnum


class OrganizationErrorCode(StrEnum):
    """Failures of organization, store and signup form operations."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    INVALID_REGION = "INVALID_REGION"
    INVALID_TIMEZONE = "INVALID_TIMEZONE"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
