from __future__ import annotations

from enum import StrEnum


class SegmentErrorCode(StrEnum):
    """Failures of asking for a lifecycle and RFM recompute."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    # "As of" a moment that has not happened yet: nothing can be measured to it.
    AS_OF_IN_FUTURE = "AS_OF_IN_FUTURE"
