from __future__ import annotations

from enum import StrEnum


class MergeErrorCode(StrEnum):
    """Failures of merge requests."""

    NOTHING_TO_MERGE = "NOTHING_TO_MERGE"
    MERGE_WITH_ITSELF = "MERGE_WITH_ITSELF"
    TOO_MANY_MERGED = "TOO_MANY_MERGED"
    DUPLICATE_MERGED_ID = "DUPLICATE_MERGED_ID"
    INVALID_FIELD_CHOICE = "INVALID_FIELD_CHOICE"
