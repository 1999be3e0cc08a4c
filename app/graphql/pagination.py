"""Relay-style connections over the service layer's keyset pages.

Sorted lists: a domain declares its sort fields as a `SortableList` (app/core/sorting.py), adds
an enum of them and a `...SortInput` with `field` and `direction` to its `inputs.py`, and takes
`sortBy`, `first`/`after` and `last`/`before`; `sorted_request` turns them into the service's
page request and `build_connection(page, convert, request.sort.cursor_for)` answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import strawberry

from app.core.pagination import Page, encode_cursor
from app.core.sorting import SortableList, SortedPageRequest

# Re-exported: the domains' `...SortInput`s import it from here, so strawberry's definition
# below exists before any input uses the enum (a default value of an enum not yet declared
# makes strawberry declare it a second time).
from app.core.sorting import SortDirection as SortDirection

NodeT = TypeVar("NodeT")

strawberry.enum(
    SortDirection,
    description="ASC: smallest first; NULLs (no value) sort last. DESC: the reverse, NULLs first.",
)


class HasId(Protocol):
    id: Any


class SortInput(Protocol):
    """A domain's `...SortInput`: one of its sort field enum members and a direction."""

    @property
    def field(self) -> str: ...

    @property
    def direction(self) -> SortDirection: ...


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]] | None] = None

    @strawberry.field
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]

    @strawberry.field(
        description="How many items all pages hold together, exact, under the same filters. "
        "Counted only when selected, with one COUNT query: cheap where the filters are "
        "indexed (a customer's orders, the audit log, import jobs, the archive); a free-text "
        "`search` or a broad `where` over many customers counts every matching row, so ask "
        "for it once rather than with every page."
    )
    async def total_count(self) -> int:
        if self.count is None:
            return len(self.edges)
        return await self.count()


RowT = TypeVar("RowT", bound=HasId)


def _id_cursor(row: HasId) -> str:
    return encode_cursor(uuid.UUID(str(row.id)))


def build_connection(
    page: Page[RowT],
    convert: Callable[[RowT], NodeT],
    cursor: Callable[[RowT], str] = _id_cursor,
) -> Connection[NodeT]:
    """`cursor` gives each row's cursor: its id by default; a sorted list's carries the sort."""
    edges = [Edge(cursor=cursor(row), node=convert(row)) for row in page.items]
    return Connection(
        count=page.count,
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def sorted_request(
    sortable: SortableList,
    sort_by: SortInput | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> SortedPageRequest:
    """The page a sorted list's resolver asks its service for (the list's default order
    without `sortBy`)."""
    sort = sortable.sort(sort_by.field, sort_by.direction) if sort_by else sortable.default
    return SortedPageRequest.of(sort, first=first, after=after, last=last, before=before)
