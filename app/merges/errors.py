from __future__ import annotations

from enum import StrEnum


class MergeErrorCode(StrEnum):
    """Failures of merge and unmerge requests."""

    INVALID = "INVALID"
    NOTHING_TO_MERGE = "NOTHING_TO_MERGE"
    MERGE_WITH_ITSELF = "MERGE_WITH_ITSELF"
    TOO_MANY_MERGED = "TOO_MANY_MERGED"
    DUPLICATE_MERGED_ID = "DUPLICATE_MERGED_ID"
    INVALID_FIELD_CHOICE = "INVALID_FIELD_CHOICE"
    # Unknown in the caller's organization (another organization's customers included).
    CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"
    CUSTOMER_ERASED = "CUSTOMER_ERASED"
    ALREADY_MERGED = "ALREADY_MERGED"
    MERGE_NOT_FOUND = "MERGE_NOT_FOUND"
    ALREADY_UNDONE = "ALREADY_UNDONE"
    # A later merge involves this merge's survivor: undo that one first (the message names it).
    LATER_MERGE_FIRST = "LATER_MERGE_FIRST"
    # An identifier to give back now belongs to another live customer.
    IDENTIFIER_TAKEN = "IDENTIFIER_TAKEN"
