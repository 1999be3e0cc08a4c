"""Why an earning rule was not created, changed or switched on."""

from __future__ import annotations

from enum import StrEnum


class EarningRuleErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_POINTS = "INVALID_POINTS"
    INVALID_MULTIPLIER = "INVALID_MULTIPLIER"
    INVALID_CONDITIONS = "INVALID_CONDITIONS"
    INVALID_AUDIENCE = "INVALID_AUDIENCE"
    INVALID_WINDOW = "INVALID_WINDOW"
    INVALID_LIMIT = "INVALID_LIMIT"
    # The transition is not allowed from the rule's status (e.g. activating an archived rule).
    INVALID_STATUS = "INVALID_STATUS"
    # Its window has ended: activating it would award nothing.
    EXPIRED = "EXPIRED"
