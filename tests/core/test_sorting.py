"""Cursors of sorted lists: the text is the JSON array of list, field, direction, value and
id (compact, non-ASCII kept), whatever the value's kind; a personal value never travels; and
each cursor decodes back to its position under its own sort only."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest

from app.core.errors import InvalidArgument, PublicErrorCode
from app.core.sorting import Sort, SortDirection, SortKey, decode_position

ID = uuid.UUID("01a23a41-3d02-7c55-8e61-0a9b4c3d2e1f")


@dataclass
class Row:
    id: object
    value: object


KEYS = [
    (SortKey("SPENT", "value", "decimal"), Decimal("12.50"), "12.50"),
    (SortKey("COUNT", "value", "int"), 7, 7),
    (SortKey("AT", "value", "datetime", nullable=True), None, None),
    (
        SortKey("AT", "value", "datetime"),
        dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC),
        "2026-01-02T03:04:00+00:00",
    ),
    (SortKey("CODE", "value", "text"), 'Zoë "x"', 'Zoë "x"'),
    (SortKey("NAME", "value", "text", personal=True), "Zoë", None),
]


@pytest.mark.parametrize(("key", "value", "dumped"), KEYS, ids=lambda k: str(k))
@pytest.mark.parametrize("row_id", [ID, str(ID)], ids=["uuid", "text id"])
def test_cursor_text_and_round_trip(
    key: SortKey, value: object, dumped: object, row_id: object
) -> None:
    sort = Sort("things", key, SortDirection.DESC)
    cursor = sort.cursor_for(Row(row_id, value))
    text = base64.urlsafe_b64decode(cursor).decode()
    body = ["things", key.name, "DESC", dumped, str(ID)]
    assert text == "k1:" + json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    position = decode_position(sort, cursor)
    assert position.id == ID
    if key.personal:
        assert not position.value_known
    else:
        assert position.value == value


def test_a_cursor_under_another_direction_is_a_mismatch() -> None:
    key = SortKey("COUNT", "value", "int")
    cursor = Sort("things", key, SortDirection.DESC).cursor_for(Row(ID, 3))
    with pytest.raises(InvalidArgument) as refused:
        decode_position(Sort("things", key, SortDirection.ASC), cursor)
    assert refused.value.code is PublicErrorCode.CURSOR_MISMATCH
