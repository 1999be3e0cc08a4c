"""What a batch of rows reads before it writes: the customers holding the batch's identifiers
and the receipts it names. One indexed query per identifier column on PostgreSQL; on SQLite one
UNION over JSON arrays of values (its planner uses each column's index per branch)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.imports.repository.batch import BatchSql, dump_json


async def customers_holding(
    sql: BatchSql,
    organization_id: uuid.UUID,
    by_column: Mapping[str, Iterable[str]],
    select: Sequence[str],
    *,
    lock: bool = False,
) -> list[tuple[Any, ...]]:
    """Customer rows (any status) holding any of the values, one per customer; `select`
    starts with the id. Locked in id order when the batch will write them (PostgreSQL)."""
    columns = ", ".join(f'"{c}"' for c in select)
    org = sql.out(organization_id)
    wanted = {column: sorted(values) for column, values in by_column.items()}
    if sql.postgres:
        # One query per column, each an index scan of its (organization_id, column) unique index
        # whatever the statistics say (an OR of them is planned as a scan of the whole
        # organization when the table was not analyzed since it grew).
        rows: list[tuple[Any, ...]] = []
        for column, values in wanted.items():
            if not values:
                continue
            cast = "uuid" if column == "id" else "text"
            params: list[Any] = [uuid.UUID(v) for v in values] if column == "id" else values
            rows += await sql.fetch(
                f"SELECT {columns} FROM customer WHERE organization_id = $1"  # noqa: S608
                f' AND "{column}" = ANY($2::{cast}[]) ORDER BY id'
                + (" FOR UPDATE" if lock else ""),
                [org, params],
            )
        return list({row[0]: row for row in rows}.values())
    parts = []
    params = [org]
    for column, values in wanted.items():
        if values:
            params.append(dump_json(values))
            parts.append(
                f"SELECT {columns} FROM customer WHERE organization_id = ?1"  # noqa: S608
                f' AND "{column}" IN (SELECT value FROM json_each(?{len(params)}))'
            )
    if not parts:
        return []
    return list(await sql.fetch(" UNION ".join(parts), params))


async def customer_by_id(
    sql: BatchSql,
    organization_id: uuid.UUID,
    customer_id: uuid.UUID,
    select: Sequence[str],
    *,
    lock: bool = False,
) -> list[tuple[Any, ...]]:
    columns = ", ".join(f'"{c}"' for c in select)
    marks = "$1 AND id = $2" if sql.postgres else "?1 AND id = ?2"
    return list(
        await sql.fetch(
            f"SELECT {columns} FROM customer WHERE organization_id = {marks}"  # noqa: S608
            + (" FOR UPDATE" if lock and sql.postgres else ""),
            [sql.out(organization_id), sql.out(customer_id)],
        )
    )


async def receipts(
    sql: BatchSql, organization_id: uuid.UUID, numbers: list[str]
) -> list[tuple[Any, ...]]:
    """(receipt number, customer id, total) of the organization's orders with these numbers."""
    if not numbers:
        return []
    org = sql.out(organization_id)
    if sql.postgres:
        return list(
            await sql.fetch(
                "SELECT receipt_number, customer_id, total FROM customer_order"
                " WHERE organization_id = $1 AND receipt_number = ANY($2::text[])",
                [org, numbers],
            )
        )
    return list(
        await sql.fetch(
            "SELECT receipt_number, customer_id, total FROM customer_order"
            " WHERE organization_id = ?1 AND receipt_number IN (SELECT value FROM json_each(?2))",
            [org, dump_json(numbers)],
        )
    )
