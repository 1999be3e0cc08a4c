from __future__ import annotations

from enum import StrEnum


class PredictionErrorCode(StrEnum):
    """Failures of asking for predictions or a refit."""

    INVALID = "INVALID"
    # "As of" a moment that has not happened yet: nothing can be measured to it.
    AS_OF_IN_FUTURE = "AS_OF_IN_FUTURE"
    # A horizon outside 1..MAX_HORIZON_DAYS days.
    HORIZON_OUT_OF_RANGE = "HORIZON_OUT_OF_RANGE"
