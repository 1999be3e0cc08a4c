"""The statements a batch needs, for PostgreSQL and SQLite, inside the batch's transaction.

PostgreSQL: rows go in with `COPY` (binary, through asyncpg), new-or-changed customers through
a temporary staging table and one `INSERT ... SELECT ... ON CONFLICT (id) DO UPDATE`.
SQLite: the same statements as batched `executemany`, on its single connection.

Full rows are built from the Tortoise model's own field list and defaults, so a column another
part of the product adds to a table is filled with its default instead of breaking imports.
Only constants of this module and column names of the models are part of any SQL text; every
value is a bound parameter or a COPY record.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import io
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields.data import JSONField
from tortoise.models import Model

from app.core.pgcopy import HEADER, TRAILER
from app.core.pgcopy.rows import stream

# A row as values, or already in PostgreSQL's binary COPY format (see app.core.pgcopy.rows).
Row = tuple[Any, ...] | bytes


def model_columns(model: type[Model]) -> tuple[str, ...]:
    return tuple(model._meta.fields_db_projection.values())


def model_defaults(model: type[Model], now: dt.datetime) -> dict[str, Any]:
    """Column -> value a new row gets when the caller sets nothing (Python types, enums as
    their values, JSON as text)."""
    meta = model._meta
    out: dict[str, Any] = {}
    for name, column in meta.fields_db_projection.items():
        field = meta.fields_map[name]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
        elif field.default is not None and not field.pk:
            value = field.default() if callable(field.default) else field.default
        else:
            value = None
        if isinstance(value, Enum):
            value = value.value
        if isinstance(field, JSONField) and value is not None:
            value = dump_json(value)
        out[column] = value
    return out


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dump_json(value: Any) -> str:
    return _JSON.encode(value)


def load_json(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        return value
    return json.loads(value)


def as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class BatchSql:
    """One transaction's view of the database for a batch of rows."""

    def __init__(self, conn: BaseDBAsyncClient, timings: dict[str, float] | None = None) -> None:
        self.conn = conn
        # Seconds per kind of statement, summed over the job (logged when it ends).
        self.timings = timings if timings is not None else collections.defaultdict(float)
        self.postgres = conn.capabilities.dialect == "postgres"
        # The driver connection of the transaction: asyncpg for COPY, aiosqlite for fetches.
        self.raw: Any = conn._connection
        self._staged: set[str] = set()

    @contextlib.contextmanager
    def timed(self, what: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[what] += time.monotonic() - started

    def out(self, value: Any) -> Any:
        """A value as the driver takes it: SQLite stores UUIDs as text."""
        if not self.postgres and isinstance(value, uuid.UUID):
            return str(value)
        return value

    def out_row(self, row: Row) -> tuple[Any, ...]:
        assert isinstance(row, tuple), "encoded rows are for PostgreSQL"
        if self.postgres:
            return row
        return tuple(str(v) if isinstance(v, uuid.UUID) else v for v in row)

    async def _copy(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        with self.timed(f"copy {table}"):
            await self._copy_rows(table, columns, rows)

    async def _copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if isinstance(rows[0], bytes):
            payload = stream([r for r in rows if isinstance(r, bytes)])
            if len(payload) - len(HEADER) - len(TRAILER) != sum(len(r) for r in rows):
                raise TypeError("mixed encoded and plain rows")
            await self.raw.copy_to_table(
                table, source=io.BytesIO(payload), columns=list(columns), format="binary"
            )
        else:
            await self.raw.copy_records_to_table(table, records=rows, columns=list(columns))

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.timed("lookups"):
            if self.postgres:
                records = await self.raw.fetch(sql, *params)
                return [tuple(r) for r in records]
            rows = await self.raw.execute_fetchall(sql, [self.out(p) for p in params])
            return [tuple(r) for r in rows]

    async def execute(self, sql: str, params: Sequence[Any]) -> None:
        if self.postgres:
            await self.raw.execute(sql, *params)
        else:
            cursor = await self.raw.execute(sql, [self.out(p) for p in params])
            await cursor.close()

    async def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Append rows: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        if self.postgres:
            await self._copy(table, columns, rows)
            return
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        with self.timed(f"insert {table}"):
            cursor = await self.raw.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks})',  # noqa: S608 - model columns
                [self.out_row(r) for r in rows],
            )
            await cursor.close()

    async def _staged_copy(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> str:
        """COPY rows into the transaction's staging table shaped like `table`; its name."""
        stage = f"import_stage_{table}"
        if stage not in self._staged:
            await self.raw.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" (LIKE "{table}" INCLUDING DEFAULTS)'
                " ON COMMIT DELETE ROWS"
            )
            self._staged.add(stage)
        await self._copy(stage, columns, rows)
        return stage

    async def upsert_by_id(
        self, table: str, columns: Sequence[str], update: Sequence[str], rows: Sequence[Row]
    ) -> None:
        """Insert rows, or update the `update` columns of the rows whose id exists.

        PostgreSQL: COPY into a temporary staging table shaped like `table`, then one
        set-based `INSERT ... SELECT ... ON CONFLICT (id) DO UPDATE`.
        """
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        assignments = ", ".join(f'"{c}" = excluded."{c}"' for c in update)
        if self.postgres:
            stage = await self._staged_copy(table, columns, rows)
            with self.timed(f"upsert {table}"):
                await self.raw.execute(
                    f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{stage}"'  # noqa: S608
                    f" ON CONFLICT (id) DO UPDATE SET {assignments}"
                )
            return
        marks = ", ".join("?" for _ in columns)
        with self.timed(f"upsert {table}"):
            cursor = await self.raw.executemany(
                f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - model columns
                f" ON CONFLICT (id) DO UPDATE SET {assignments}",
                [self.out_row(r) for r in rows],
            )
            await cursor.close()

    async def null_columns(self, table: str, column: str, ids: list[uuid.UUID]) -> None:
        """Release a unique column of some rows before the batch reassigns the values."""
        if not ids:
            return
        if self.postgres:
            await self.raw.execute(
                f'UPDATE "{table}" SET "{column}" = NULL WHERE id = ANY($1::uuid[])',  # noqa: S608
                ids,
            )
            return
        cursor = await self.raw.executemany(
            f'UPDATE "{table}" SET "{column}" = NULL WHERE id = ?',  # noqa: S608
            [(str(i),) for i in ids],
        )
        await cursor.close()

    async def insert_new(
        self, table: str, columns: Sequence[str], rows: Sequence[Row], unique: Sequence[str]
    ) -> int:
        """Insert the rows whose `unique` key is free; returns how many were inserted."""
        if not rows:
            return 0
        names = ", ".join(f'"{c}"' for c in columns)
        target = ", ".join(f'"{c}"' for c in unique)
        if self.postgres:
            stage = await self._staged_copy(table, columns, rows)
            status = await self.raw.execute(
                f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{stage}"'  # noqa: S608
                f" ON CONFLICT ({target}) DO NOTHING"
            )
            return int(str(status).rsplit(" ", 1)[-1])
        marks = ", ".join("?" for _ in columns)
        cursor = await self.raw.executemany(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - model columns
            f" ON CONFLICT ({target}) DO NOTHING",
            [self.out_row(r) for r in rows],
        )
        count = int(cursor.rowcount)
        await cursor.close()
        return count

    async def execute_many(self, sql: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        if self.postgres:
            await self.raw.executemany(sql, rows)
            return
        cursor = await self.raw.executemany(sql, [self.out_row(r) for r in rows])
        await cursor.close()
