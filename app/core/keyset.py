"""The one keyset read behind "newest first" lists: ids are time-ordered, so the cursor is an id."""

from __future__ import annotations

import uuid
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)


def newest_first(query: QuerySet[M], limit: int, before: uuid.UUID | None) -> QuerySet[M]:
    """Rows of `query` with ids below `before` (when given), newest first, at most `limit`."""
    if before is not None:
        query = query.filter(id__lt=before)
    return query.order_by("-id").limit(limit)
