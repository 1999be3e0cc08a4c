from __future__ import annotations

from enum import StrEnum


class OrderErrorCode(StrEnum):
    """Failures of recording, refunding or voiding an order."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    INVALID_TOTAL = "INVALID_TOTAL"
    INVALID_ITEM = "INVALID_ITEM"
    INVALID_DATE = "INVALID_DATE"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    STORE_NOT_FOUND = "STORE_NOT_FOUND"
    RECEIPT_CONFLICT = "RECEIPT_CONFLICT"
    NOT_FOUND = "NOT_FOUND"
    NOT_COMPLETED = "NOT_COMPLETED"
