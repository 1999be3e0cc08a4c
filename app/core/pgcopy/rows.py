"""Rows encoded one at a time from Python values, by the processes that validate them.

Encoding a million 41-column rows is seconds of CPU; done where rows are validated (every
core), it leaves the process that talks to the database only bytes to concatenate. The column
types come from the Tortoise fields and are checked against the live table before use: a column
of a type this module does not know makes the import fall back to the driver's own encoding.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.fields import (
    BigIntField,
    BooleanField,
    CharField,
    DateField,
    DatetimeField,
    DecimalField,
    IntField,
    JSONField,
    SmallIntField,
    TextField,
    UUIDField,
)
from tortoise.models import Model

from app.core.pgcopy import HEADER, PG_EPOCH, PG_EPOCH_DAY, TRAILER

_NULL = struct.pack("!i", -1)
_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")
_I64 = struct.Struct("!q")

# Type code -> the `data_type` PostgreSQL reports for the column in information_schema.
PG_TYPES = {
    "uuid": "uuid",
    "text": ("character varying", "text"),
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "bool": "boolean",
    "timestamptz": "timestamp with time zone",
    "date": "date",
    "numeric": "numeric",
    "jsonb": "jsonb",
}


def type_codes(model: type[Model]) -> tuple[str, ...] | None:
    """The type code of each column of `model_columns(model)`, or None when one is unknown."""
    meta = model._meta
    codes: list[str] = []
    for name in meta.fields_db_projection:
        field = meta.fields_map[name]
        code: str | None = None
        if isinstance(field, UUIDField):  # foreign keys' `*_id` fields are UUIDFields too
            code = "uuid"
        elif isinstance(field, CharField | TextField):  # enum fields are CharFields
            code = "text"
        elif isinstance(field, SmallIntField):
            code = "int2"
        elif isinstance(field, BigIntField):
            code = "int8"
        elif isinstance(field, IntField):
            code = "int4"
        elif isinstance(field, BooleanField):
            code = "bool"
        elif isinstance(field, DatetimeField):
            code = "timestamptz"
        elif isinstance(field, DateField):
            code = "date"
        elif isinstance(field, DecimalField):
            code = "numeric"
        elif isinstance(field, JSONField):
            code = "jsonb"
        if code is None:
            return None
        codes.append(code)
    return tuple(codes)


def matches_table(codes: Sequence[str], columns: Sequence[str], live: dict[str, str]) -> bool:
    """True when every column has the type the codes say (`live`: column -> data_type)."""
    for code, column in zip(codes, columns, strict=True):
        expected = PG_TYPES[code]
        actual = live.get(column)
        if actual is None:
            return False
        if isinstance(expected, tuple):
            if actual not in expected:
                return False
        elif actual != expected:
            return False
    return True


def _text(value: Any) -> bytes:
    if type(value) is str:
        return value.encode()
    if isinstance(value, Enum):
        value = value.value
    return str(value).encode()


def _uuid(value: Any) -> bytes:
    return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).bytes


def _timestamptz(value: Any) -> bytes:
    delta = value - PG_EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return _I64.pack(micros)


def _date(value: Any) -> bytes:
    return _I32.pack(value.toordinal() - PG_EPOCH_DAY)


def _numeric(value: Any) -> bytes:
    """NUMERIC send format: ndigits, weight, sign, dscale, then base-10000 digits."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    dscale = max(0, -exponent)
    text = "".join(map(str, digits))
    if exponent > 0:
        text += "0" * exponent
        exponent = 0
    elif len(text) < -exponent:
        text = "0" * (-exponent - len(text)) + text
    integer = text[: len(text) + exponent] if exponent < 0 else text
    fraction = text[len(text) + exponent :] if exponent < 0 else ""
    integer = integer.lstrip("0")
    integer = "0" * (-len(integer) % 4) + integer
    fraction = fraction + "0" * (-len(fraction) % 4)
    groups = [int(integer[i : i + 4]) for i in range(0, len(integer), 4)]
    weight = len(groups) - 1
    groups += [int(fraction[i : i + 4]) for i in range(0, len(fraction), 4)]
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    header = struct.pack("!hhHH", len(groups), weight, 0x4000 if sign else 0, dscale)
    return header + b"".join(struct.pack("!H", g) for g in groups)


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _jsonb(value: Any) -> bytes:
    """jsonb send format: version 1, then the text (a dict or list is encoded here)."""
    return b"\x01" + (value if isinstance(value, str) else _JSON.encode(value)).encode()


ENCODERS: dict[str, Callable[[Any], bytes]] = {
    "uuid": _uuid,
    "text": _text,
    "int2": lambda v: _I16.pack(int(v)),
    "int4": lambda v: _I32.pack(int(v)),
    "int8": lambda v: _I64.pack(int(v)),
    "bool": lambda v: b"\x01" if v else b"\x00",
    "timestamptz": _timestamptz,
    "date": _date,
    "numeric": _numeric,
    "jsonb": _jsonb,
}
_TRUE_FIELD = _I32.pack(1) + b"\x01"
_FALSE_FIELD = _I32.pack(1) + b"\x00"


def _text_field(value: Any) -> bytes:
    data = value.encode() if type(value) is str else _text(value)
    return _I32.pack(len(data)) + data


def _uuid_field(value: Any) -> bytes:
    return b"\x00\x00\x00\x10" + (value.bytes if type(value) is uuid.UUID else _uuid(value))


def _field_encoder(code: str) -> Callable[[Any], bytes]:
    """A whole non-NULL field: its length, then its value. The common codes get a direct
    function (this runs for every cell of a million-row import)."""
    if code == "text":
        return _text_field
    if code == "uuid":
        return _uuid_field
    if code == "bool":
        return lambda v: _TRUE_FIELD if v else _FALSE_FIELD
    encode = ENCODERS[code]

    def field(value: Any) -> bytes:
        payload = encode(value)
        return _I32.pack(len(payload)) + payload

    return field


def stream(rows: Sequence[bytes]) -> bytes:
    """A complete COPY BINARY payload from encoded rows."""
    return HEADER + b"".join(rows) + TRAILER


class RowTemplate:
    """Rows of one job where most columns hold the same value (defaults, the organization,
    the job's timestamp): those are encoded once, only `variable` columns per row."""

    def __init__(
        self,
        codes: Sequence[str],
        columns: Sequence[str],
        constants: dict[str, Any],
        variable: Sequence[str],
    ) -> None:
        self._state = (tuple(codes), tuple(columns), dict(constants), tuple(variable))
        self.positions = [list(columns).index(c) + 1 for c in variable]
        self._fields = [_field_encoder(codes[p - 1]) for p in self.positions]
        self._parts: list[bytes] = [_I16.pack(len(columns))]
        for code, column in zip(codes, columns, strict=True):
            value = constants.get(column)
            if value is None:
                self._parts.append(_NULL)
            else:
                payload = ENCODERS[code](value)
                self._parts.append(_I32.pack(len(payload)) + payload)

    def __getstate__(self) -> tuple[Any, ...]:
        return self._state

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.__init__(*state)  # type: ignore[misc]

    def encode(self, values: Sequence[Any]) -> bytes:
        """A row from the values of the variable columns, in their order."""
        parts = self._parts.copy()
        pack = _I32.pack
        for position, field, value in zip(self.positions, self._fields, values, strict=True):
            if value is None:
                parts[position] = _NULL
            elif field is _text_field and type(value) is str:
                # Inline, the commonest case (a text column): a call per cell is measurable.
                data = value.encode()
                parts[position] = pack(len(data)) + data
            else:
                parts[position] = field(value)
        return b"".join(parts)
