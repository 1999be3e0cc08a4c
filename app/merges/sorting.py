"""The fields merges sort by. The organization's list has an (organization, column, id) index
per field; a customer's own merges are few (found through the member index) and sorted as read.
"""

from __future__ import annotations

from enum import StrEnum

from app.core.sorting import Sort, SortableList, SortDirection, SortKey


class MergeSortField(StrEnum):
    MERGED_AT = "MERGED_AT"
    # NULL while the merge stands: sorted as the greatest value, so ascending lists the undone
    # merges oldest undo first, then the standing ones.
    UNDONE_AT = "UNDONE_AT"


def _merge_sorts(name: str) -> SortableList:
    return SortableList(
        name=name,
        keys=(
            SortKey(MergeSortField.MERGED_AT, "created_at", "datetime"),
            SortKey(MergeSortField.UNDONE_AT, "undone_at", "datetime", nullable=True),
        ),
        # Without sortBy: newest first, on the time-ordered id.
        default=Sort(name, SortKey("ID", "id", "uuid"), SortDirection.DESC),
    )


# Two lists with their own names, so a cursor of one is refused by the other.
MERGE_SORTS = _merge_sorts("merges")
CUSTOMER_MERGE_SORTS = _merge_sorts("customerMerges")
