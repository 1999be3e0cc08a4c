"""The fields privacy requests sort by; each has an (organization, column, id) index."""

from __future__ import annotations

from enum import StrEnum

from app.core.sorting import Sort, SortableList, SortDirection, SortKey


class PrivacyRequestSortField(StrEnum):
    RECEIVED_AT = "RECEIVED_AT"
    # The legal deadline: ascending puts the most urgent first.
    DUE_AT = "DUE_AT"
    # NULL while the request is open: sorted as the greatest value.
    COMPLETED_AT = "COMPLETED_AT"


PRIVACY_REQUEST_SORTS = SortableList(
    name="privacyRequests",
    keys=(
        SortKey(PrivacyRequestSortField.RECEIVED_AT, "received_at", "datetime"),
        SortKey(PrivacyRequestSortField.DUE_AT, "due_at", "datetime"),
        SortKey(PrivacyRequestSortField.COMPLETED_AT, "completed_at", "datetime", nullable=True),
    ),
    # Without sortBy: newest first, on the time-ordered id.
    default=Sort("privacyRequests", SortKey("ID", "id", "uuid"), SortDirection.DESC),
)
