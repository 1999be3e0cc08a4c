"""Keyset reads: "newest first" lists (ids are time-ordered, so the cursor is an id) and
sorted lists (the cursor carries the sort value and the id)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TypeVar

from tortoise import connections
from tortoise.expressions import Q, RawSQL
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.core.errors import InvalidArgument
from app.core.pagination import Page
from app.core.sorting import Position, Sort, SortedPageRequest, SortValue

M = TypeVar("M", bound=Model)


def newest_first(query: QuerySet[M], limit: int, before: uuid.UUID | None) -> QuerySet[M]:
    """Rows of `query` with ids below `before` (when given), newest first, at most `limit`."""
    if before is not None:
        query = query.filter(id__lt=before)
    return query.order_by("-id").limit(limit)


def _dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def _sort_term(query: QuerySet[M], sort: Sort) -> tuple[QuerySet[M], str]:
    """The column to order and compare by. SQLite keeps decimals as text, which would sort
    "9" after "10": there the comparison goes through a numeric cast (PostgreSQL keeps the
    plain column, so its index serves the order)."""
    if sort.key.kind == "decimal" and _dialect() == "sqlite":
        term = f"_sort_{sort.key.column}"
        # The column name comes from a fixed SortKey, never from a client.
        return query.annotate(**{term: RawSQL(f"CAST({sort.key.column} AS REAL)")}), term
    return query, sort.key.column


def _comparable(sort: Sort, value: SortValue) -> object:
    if sort.key.kind == "decimal" and _dialect() == "sqlite":
        return float(value)  # type: ignore[arg-type]
    return value


def _segments(request: SortedPageRequest) -> list[bool]:
    """The parts of a nullable column in reading order, True for the NULL part, starting
    with the part the cursor is in. NULLs are greatest: last when reading ascending."""
    order = [True, False] if request.walks_descending else [False, True]
    position = request.position
    if position is None:
        return order
    return order[order.index(position.value is None) :]


def segment_queries(query: QuerySet[M], request: SortedPageRequest) -> list[QuerySet[M]]:
    """The statements a page may run, in reading order, each limited to size + 1 rows.

    Each comparison is `column >= v AND (column > v OR id > last_id)`: the first half is an
    index range on (organization, column, id), the second breaks ties. A nullable column is
    read as two parts (values, then NULLs, or the reverse) so neither needs an OR across them.
    """
    sort = request.sort
    desc = request.walks_descending
    query, term = _sort_term(query, sort)
    statements: list[QuerySet[M]] = []
    parts = _segments(request) if sort.key.nullable else [False]
    for index, nulls in enumerate(parts):
        part = query
        if sort.key.nullable:
            part = part.filter(**{f"{term}__isnull": nulls})
        position = request.position if index == 0 else None
        if position is not None:
            after_id = Q(id__lt=position.id) if desc else Q(id__gt=position.id)
            if nulls:
                part = part.filter(after_id)
            else:
                value = _comparable(sort, position.value)
                part = part.filter(**{f"{term}__{'lte' if desc else 'gte'}": value}).filter(
                    Q(**{f"{term}__{'lt' if desc else 'gt'}": value}) | after_id  # type: ignore[arg-type]
                )
        ordering = ["-id"] if desc else ["id"]
        if not nulls:
            ordering.insert(0, f"-{term}" if desc else term)
        statements.append(part.order_by(*ordering).limit(request.size + 1))
    return statements


async def _with_known_value(query: QuerySet[M], request: SortedPageRequest) -> SortedPageRequest:
    """A cursor of a personal key names only its row: read the row's value, within the same
    scoped query, so a cursor of another organization or a row no longer listed finds none."""
    position = request.position
    if position is None or position.value_known:
        return request
    found = await query.filter(id=position.id).values_list(request.sort.key.column, flat=True)
    if not found:
        raise InvalidArgument(
            "The cursor's row is no longer in this list: start again without a cursor."
        )
    value: SortValue = found[0]  # type: ignore[assignment]
    return replace(request, position=Position(value, position.id))


async def sorted_page(query: QuerySet[M], request: SortedPageRequest) -> Page[M]:
    """One page of `query` in `request.sort`, after (or before) the cursor's row: the parts
    of `segment_queries` are read in turn until size + 1 rows are in hand."""
    request = await _with_known_value(query, request)
    rows: list[M] = []
    for statement in segment_queries(query, request):
        rows.extend(await statement.limit(request.size + 1 - len(rows)))
        if len(rows) > request.size:
            break
    more = len(rows) > request.size
    items = rows[: request.size]
    if not request.forward:
        items.reverse()
    from_cursor = request.position is not None
    return Page(
        items=items,
        has_next_page=more if request.forward else from_cursor,
        has_previous_page=from_cursor if request.forward else more,
        count=query.count,
    )
