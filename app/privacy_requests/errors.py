"""Why a privacy request was refused. Messages never repeat an identifier."""

from __future__ import annotations

from enum import StrEnum


class PrivacyRequestErrorCode(StrEnum):
    INVALID = "INVALID"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    NOT_FOUND = "NOT_FOUND"
    # The customer is already erased: nothing is left to erase, export or opt out.
    ERASED = "ERASED"
    # The same kind of request for the same customer is already on its way.
    ALREADY_REQUESTED = "ALREADY_REQUESTED"
    EXPORT_UNAVAILABLE = "EXPORT_UNAVAILABLE"
