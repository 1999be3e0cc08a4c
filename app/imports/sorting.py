"""The fields the import history sorts by; each has an (organization, column, id) index."""

from __future__ import annotations

from enum import StrEnum

from app.core.sorting import Sort, SortableList, SortDirection, SortKey


class ImportJobSortField(StrEnum):
    CREATED_AT = "CREATED_AT"
    # NULL while the job has not ended: sorted as the greatest value.
    FINISHED_AT = "FINISHED_AT"
    TOTAL_ROWS = "TOTAL_ROWS"


IMPORT_JOB_SORTS = SortableList(
    name="importJobs",
    keys=(
        SortKey(ImportJobSortField.CREATED_AT, "created_at", "datetime"),
        SortKey(ImportJobSortField.FINISHED_AT, "finished_at", "datetime", nullable=True),
        SortKey(ImportJobSortField.TOTAL_ROWS, "total_rows", "int"),
    ),
    # Without sortBy: newest first, on the time-ordered id.
    default=Sort("importJobs", SortKey("ID", "id", "uuid"), SortDirection.DESC),
)
