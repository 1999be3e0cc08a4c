"""Rows encoded in binary COPY format by the validation processes read back as written."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from decimal import Decimal

import pytest
from tortoise import connections

from app.core.pgcopy.rows import RowTemplate, matches_table, stream, type_codes
from app.imports.repository.batch import model_columns
from app.models.consent import ConsentEvent
from app.models.customer import Customer

pytestmark = pytest.mark.postgres_only

CODES = ("uuid", "text", "int2", "int4", "int8", "bool", "timestamptz", "date", "numeric", "jsonb")
COLUMNS = ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
AMOUNTS = [
    Decimal("0"),
    Decimal("0.00"),
    Decimal("0.05"),
    Decimal("12.50"),
    Decimal("-1234.56"),
    Decimal("10000"),
    Decimal("100000000.01"),
    Decimal("9999999999.99"),
]


async def test_every_type_round_trips_through_copy() -> None:
    template = RowTemplate(
        CODES, COLUMNS, {"c": -5, "j": '{"fixed":true}'}, ("a", "b", "d", "e", "f", "g", "h", "i")
    )
    rows = []
    expected = []
    for n, amount in enumerate(AMOUNTS):
        values = (
            uuid.uuid4(),
            f"é{n}\tx",
            123_456,
            2**40,
            n % 2 == 0,
            dt.datetime(2026, 1, 15, 10, 30, 15, 123456, tzinfo=dt.UTC)
            - dt.timedelta(days=9000 * n),
            dt.date(1990, 5, 4) + dt.timedelta(days=400 * n),
            amount,
        )
        rows.append(template.encode(values))
        expected.append((*values[:2], -5, *values[2:], {"fixed": True}))
    rows.append(template.encode((uuid.uuid4(), None, None, None, None, None, None, None)))
    conn = connections.get("default")
    async with conn._in_transaction() as tx:
        raw = tx._connection
        await raw.execute(
            "CREATE TEMP TABLE t (a uuid, b varchar(20), c smallint, d integer, e bigint,"
            " f boolean, g timestamptz, h date, i numeric(14, 2), j jsonb) ON COMMIT DROP"
        )
        await raw.copy_to_table("t", source=io.BytesIO(stream(rows)), format="binary")
        got = [tuple(r) for r in await raw.fetch("SELECT * FROM t")]
    decoded = [(*r[:9], json.loads(r[9]) if r[9] else None) for r in got]
    assert decoded[:-1] == expected
    assert decoded[-1][1:] == (None, -5, None, None, None, None, None, None, {"fixed": True})


async def test_the_models_match_their_tables() -> None:
    conn = connections.get("default")
    for model in (Customer, ConsentEvent):
        codes = type_codes(model)
        assert codes is not None
        rows = await conn.execute_query_dict(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1",
            [model._meta.db_table],
        )
        live = {str(r["column_name"]): str(r["data_type"]) for r in rows}
        assert matches_table(codes, model_columns(model), live)
        # A column of another type is noticed (the import then uses the driver's encoding).
        assert not matches_table(codes, model_columns(model), {**live, "id": "text"})
