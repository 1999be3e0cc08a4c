"""Sorted lists: which columns a list sorts by, and cursors that carry the sort key.

A cursor names its list, sort field and direction besides the row's sort value and id, so a
cursor taken under one sort and sent back under another is refused (`CURSOR_MISMATCH`) rather
than answered with a page from the wrong place. NULLs sort as the greatest values (after every
value ascending, before every value descending), the order PostgreSQL's indexes keep.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal

from app.core.errors import InvalidArgument, PublicErrorCode
from app.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_CURSOR_PREFIX = "k1:"

SortValue = int | Decimal | dt.datetime | str | uuid.UUID | None
ValueKind = Literal["int", "decimal", "datetime", "text", "uuid"]


class SortDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True)
class SortKey:
    """One field a list sorts by: its public name and the model column behind it."""

    name: str
    column: str
    kind: ValueKind
    nullable: bool = False
    # The value is personal data (a name): the cursor carries only the row's id, and the
    # value is read back from the row when the cursor is used, so no name travels in a cursor
    # (which a frontend may well put in a URL).
    personal: bool = False


@dataclass(frozen=True)
class SortableList:
    """The sort fields of one list and the order it takes when none is asked for."""

    name: str
    keys: tuple[SortKey, ...]
    default: Sort

    def key(self, name: str) -> SortKey:
        for key in self.keys:
            if key.name == name:
                return key
        raise InvalidArgument(f"`sortBy.field` {name} is not a sort field of {self.name}.")

    def sort(self, field: str | None, direction: SortDirection | None) -> Sort:
        if field is None:
            return self.default
        return Sort(self.name, self.key(field), direction or SortDirection.ASC)


@dataclass(frozen=True)
class Sort:
    list_name: str
    key: SortKey
    direction: SortDirection

    @property
    def descending(self) -> bool:
        return self.direction is SortDirection.DESC

    def value_of(self, row: object) -> SortValue:
        value: SortValue = getattr(row, self.key.column)
        return value

    def cursor_for(self, row: Any) -> str:
        # Called for every edge of every page: the row's id is used as it is when it is
        # already a UUID (PostgreSQL's), and the constant head of the cursor is made once.
        row_id = row.id if type(row.id) is uuid.UUID else uuid.UUID(str(row.id))
        return _encode(self, self.value_of(row), row_id)


@dataclass(frozen=True)
class Position:
    """Where a cursor points: the sort value and id of a row (the id breaks ties)."""

    value: SortValue
    id: uuid.UUID
    # False for a cursor of a personal key: `value` is to be read from the row `id`.
    value_known: bool = True


def _dump(kind: ValueKind, value: SortValue) -> Any:
    if value is None:
        return None
    if kind == "int":
        return int(value)  # type: ignore[arg-type]
    if kind == "datetime":
        assert isinstance(value, dt.datetime)
        return value.isoformat()
    return str(value)


def _load(kind: ValueKind, raw: Any) -> SortValue:
    if raw is None:
        return None
    if kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("not an integer")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not a string")
    if kind == "decimal":
        return Decimal(raw)
    if kind == "datetime":
        moment = dt.datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            raise ValueError("naive time")
        return moment
    if kind == "uuid":
        return uuid.UUID(raw)
    return raw


@functools.cache
def _cursor_head(list_name: str, field: str, direction: str) -> str:
    """`k1:` and the start of the JSON array up to the sort value, the same for every row."""
    body = json.dumps([list_name, field, direction], separators=(",", ":"), ensure_ascii=False)
    return _CURSOR_PREFIX + body[:-1] + ","


def _encode(sort: Sort, value: SortValue, row_id: uuid.UUID) -> str:
    # The same text as json.dumps of [list, field, direction, value, id] with compact
    # separators: the head is cached, the id (hex and dashes) needs no escaping.
    dumped = None if sort.key.personal else _dump(sort.key.kind, value)
    head = _cursor_head(sort.list_name, sort.key.name, sort.direction.value)
    text = f'{head}{json.dumps(dumped, ensure_ascii=False)},"{row_id}"]'
    return base64.urlsafe_b64encode(text.encode()).decode()


def encode_position(sort: Sort, position: Position) -> str:
    return _encode(sort, position.value, position.id)


def decode_position(sort: Sort, cursor: str) -> Position:
    invalid = InvalidArgument("The cursor is not valid for this connection.")
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise invalid
        body = json.loads(text[len(_CURSOR_PREFIX) :])
        if not isinstance(body, list) or len(body) != 5:
            raise invalid
        list_name, field, direction, raw_value, raw_id = body
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if (list_name, field, direction) != (sort.list_name, sort.key.name, sort.direction.value):
        raise InvalidArgument(
            "The cursor was taken under another sort order: keep `sortBy` unchanged while "
            "paging, or start again without a cursor.",
            PublicErrorCode.CURSOR_MISMATCH,
        )
    try:
        if sort.key.personal:
            if raw_value is not None:
                raise ValueError("a personal value in a cursor")
            return Position(None, uuid.UUID(str(raw_id)), value_known=False)
        if raw_value is None and not sort.key.nullable:
            raise ValueError("null for a non-null key")
        return Position(_load(sort.key.kind, raw_value), uuid.UUID(str(raw_id)))
    except (ValueError, TypeError, InvalidOperation):
        raise invalid from None


@dataclass(frozen=True)
class SortedPageRequest:
    """One page of a sorted list: `first` rows after a cursor, or `last` rows before one."""

    sort: Sort
    size: int
    forward: bool
    position: Position | None

    @classmethod
    def of(
        cls,
        sort: Sort,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> SortedPageRequest:
        if (last is not None or before is not None) and (first is not None or after is not None):
            raise InvalidArgument(
                "Page forward with `first`/`after` or backward with `last`/`before`, not both."
            )
        forward = last is None and before is None
        asked = first if forward else last
        size = DEFAULT_PAGE_SIZE if asked is None else asked
        if size < 0 or size > MAX_PAGE_SIZE:
            name = "first" if forward else "last"
            raise InvalidArgument(
                f"`{name}` must be between 0 and {MAX_PAGE_SIZE}.",
                PublicErrorCode.PAGINATION_LIMIT,
            )
        cursor = after if forward else before
        position = decode_position(sort, cursor) if cursor else None
        return cls(sort=sort, size=size, forward=forward, position=position)

    @property
    def walks_descending(self) -> bool:
        """The order rows are read in: the sort's own, or its reverse when paging backward."""
        return self.sort.descending == self.forward
