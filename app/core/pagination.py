"""Keyset pagination shared by every connection.

Cursors are opaque to clients but are only the base64 of the last row's time-ordered id,
so a page costs one index range scan however deep the client goes.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.core.errors import InvalidArgument, PublicErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
_CURSOR_PREFIX = "c1:"

T = TypeVar("T")


def encode_cursor(row_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError("unknown cursor version")
        return uuid.UUID(text[len(_CURSOR_PREFIX) :])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidArgument("The cursor is not valid for this connection.") from None


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: uuid.UUID | None

    @classmethod
    def of(cls, first: int | None, after: str | None) -> PageRequest:
        size = DEFAULT_PAGE_SIZE if first is None else first
        if size < 0 or size > MAX_PAGE_SIZE:
            raise InvalidArgument(
                f"`first` must be between 0 and {MAX_PAGE_SIZE}.",
                PublicErrorCode.PAGINATION_LIMIT,
            )
        return cls(first=size, after=decode_cursor(after) if after else None)


# Counts the rows of every page together; awaited only when a client asks for the total.
Counter = Callable[[], Awaitable[int]]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_next_page: bool
    has_previous_page: bool
    count: Counter | None = None

    @classmethod
    def from_overfetch(
        cls, rows: Sequence[T], request: PageRequest, count: Counter | None = None
    ) -> Page[T]:
        """`rows` was fetched with limit first+1: the extra row only tells there is more.

        `count` is the `count` of the same filtered query before the cursor was applied.
        """
        return cls(
            items=rows[: request.first],
            has_next_page=len(rows) > request.first,
            has_previous_page=request.after is not None,
            count=count,
        )
