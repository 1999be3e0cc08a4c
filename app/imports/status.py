"""Job statuses as the import code reads them."""

from __future__ import annotations

from app.models.imports import ImportStatus

FINAL = frozenset(
    {ImportStatus.SUCCEEDED, ImportStatus.PARTIAL, ImportStatus.FAILED, ImportStatus.CANCELLED}
)
ACTIVE = frozenset({ImportStatus.QUEUED, ImportStatus.RUNNING})
# The ends after which the rows a job committed count as imported (and its follow-ups run).
COMPLETED = frozenset({ImportStatus.SUCCEEDED, ImportStatus.PARTIAL})
