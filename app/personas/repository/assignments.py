"""Bulk reads and writes of persona assignments (one row per customer per set).

PostgreSQL: binary COPY both ways, through `app.core.pgcopy` (a million rows is a few tens of
megabytes and no Python object per row). SQLite: executemany in batches, and a cursor read in
chunks.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import numpy.typing as npt
from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.pgcopy import HEADER, TRAILER
from app.core.pgcopy.columns import Column, Kind, Table, binary_copy
from app.core.pgcopy.decode import whole_records
from app.personas.feature_columns import U8

TABLE = "persona_assignment"
COLUMNS = ("persona_set_id", "customer_id", "persona_identity_id")
COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH = 5_000
# A (customer, identity) record of the binary COPY output.
_ASSIGNMENT_RECORD = np.dtype(
    [("count", ">i2"), ("l0", ">i4"), ("c", "u1", (16,)), ("l1", ">i4"), ("p", "u1", (16,))]
)


def _uuid_rows(values: list[uuid.UUID]) -> U8:
    return np.frombuffer(b"".join(v.bytes for v in values), dtype=np.uint8).reshape(-1, 16)


def assignment_records(persona_set_id: uuid.UUID, customer_ids: U8, identity_rows: U8) -> bytes:
    """Binary COPY tuples (set, customer, identity), unframed: a chunk of the stream."""
    table = Table(
        TABLE,
        len(customer_ids),
        [
            Column(COLUMNS[0], Kind.UUID, matrix=np.frombuffer(persona_set_id.bytes, np.uint8)),
            Column(COLUMNS[1], Kind.UUID, matrix=customer_ids),
            Column(COLUMNS[2], Kind.UUID, matrix=identity_rows),
        ],
    )
    return binary_copy(table, framed=False)


async def write_assignments(
    conn: BaseDBAsyncClient,
    persona_set_id: uuid.UUID,
    customer_ids: U8,
    labels: npt.NDArray[np.int16],
    identities: list[uuid.UUID],
) -> int:
    """Insert one assignment per customer: `identities[labels[i]]` for `customer_ids[i]`."""
    identity_matrix = _uuid_rows(identities) if identities else np.zeros((0, 16), np.uint8)
    n = len(customer_ids)
    if conn.capabilities.dialect == "postgres":

        async def stream() -> AsyncIterator[bytes]:
            yield HEADER
            for start in range(0, n, COPY_CHUNK_ROWS):
                stop = min(start + COPY_CHUNK_ROWS, n)
                rows = assignment_records(
                    persona_set_id,
                    customer_ids[start:stop],
                    identity_matrix[labels[start:stop].astype(np.int64)],
                )
                yield rows
            yield TRAILER

        async with conn.acquire_connection() as raw:
            await raw.copy_to_table(TABLE, source=stream(), columns=list(COLUMNS), format="binary")
        return n
    set_text = str(persona_set_id)
    identity_text = [str(i) for i in identities]
    names = ", ".join(COLUMNS)
    sql = f"INSERT INTO {TABLE} ({names}) VALUES (?, ?, ?)"  # noqa: S608 - constants
    for start in range(0, n, SQLITE_BATCH):
        stop = min(start + SQLITE_BATCH, n)
        rows: list[Any] = [
            (set_text, str(uuid.UUID(bytes=bytes(customer_ids[i]))), identity_text[labels[i]])
            for i in range(start, stop)
        ]
        await conn.execute_many(sql, rows)
    return n


async def read_assignments(conn: BaseDBAsyncClient, persona_set_id: uuid.UUID) -> tuple[U8, U8]:
    """(customer ids, identity ids) of one set, as (n, 16) byte matrices in no set order."""
    if conn.capabilities.dialect == "postgres":
        chunks: list[bytes] = []

        async def sink(data: bytes) -> None:
            chunks.append(data)

        query = (
            f"SELECT customer_id, persona_identity_id FROM {TABLE}"  # noqa: S608 - constants
            " WHERE persona_set_id = $1"
        )
        async with conn.acquire_connection() as raw:
            await raw.copy_from_query(query, persona_set_id, output=sink, format="binary")
        data = b"".join(chunks)
        chunks.clear()
        rows = whole_records(data, _ASSIGNMENT_RECORD)
        return np.array(rows["c"], dtype=np.uint8), np.array(rows["p"], dtype=np.uint8)
    customers: list[bytes] = []
    identities: list[bytes] = []
    async with conn.acquire_connection() as raw:
        cursor = await raw.execute(
            f"SELECT customer_id, persona_identity_id FROM {TABLE}"  # noqa: S608 - constants
            " WHERE persona_set_id = ?",
            [str(persona_set_id)],
        )
        try:
            while True:
                batch = await cursor.fetchmany(SQLITE_BATCH)
                if not batch:
                    break
                for row in batch:
                    customers.append(uuid.UUID(str(row[0])).bytes)
                    identities.append(uuid.UUID(str(row[1])).bytes)
        finally:
            await cursor.close()
    if not customers:
        return np.zeros((0, 16), np.uint8), np.zeros((0, 16), np.uint8)
    return (
        np.frombuffer(b"".join(customers), dtype=np.uint8).reshape(-1, 16),
        np.frombuffer(b"".join(identities), dtype=np.uint8).reshape(-1, 16),
    )
