from __future__ import annotations

from enum import StrEnum


class WalletErrorCode(StrEnum):
    """Failures of wallet operations (earn, redeem, adjust) and of the program settings."""

    INVALID = "INVALID"
    INVALID_POINTS = "INVALID_POINTS"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    REASON_REQUIRED = "REASON_REQUIRED"
    INVALID_TIERS = "INVALID_TIERS"
