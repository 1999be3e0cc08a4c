"""The wallet columns an orders batch reads under lock and writes back, set-based."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from app.imports.repository.batch import BatchSql, dump_json

WALLET_COLUMNS = (
    "id, points_balance, lifetime_points, order_count, total_spent,"
    " first_order_at, last_order_at, loyalty_enrolled"
)

# (id, points_balance, lifetime_points, order_count, total_spent, first_order_at, last_order_at)
WalletValues = tuple[uuid.UUID, int, int, int, Decimal, dt.datetime | None, dt.datetime | None]


async def lock_wallets(sql: BatchSql, ids: Sequence[uuid.UUID]) -> list[tuple[Any, ...]]:
    """The customers' wallet columns, locked in id order (SQLite: its single writer)."""
    if sql.postgres:
        return await sql.fetch(
            f"SELECT {WALLET_COLUMNS} FROM customer WHERE id = ANY($1::uuid[])"  # noqa: S608
            " ORDER BY id FOR UPDATE",
            [list(ids)],
        )
    return await sql.fetch(
        f"SELECT {WALLET_COLUMNS} FROM customer"  # noqa: S608
        " WHERE id IN (SELECT value FROM json_each(?1))",
        [dump_json([str(i) for i in ids])],
    )


async def save_wallets(sql: BatchSql, now: dt.datetime, wallets: Sequence[WalletValues]) -> None:
    if sql.postgres:
        await sql.execute(
            "UPDATE customer AS c SET points_balance = v.points_balance,"
            " lifetime_points = v.lifetime_points, order_count = v.order_count,"
            " total_spent = v.total_spent, first_order_at = v.first_order_at,"
            " last_order_at = v.last_order_at, updated_at = $8"
            " FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::numeric[],"
            " $6::timestamptz[], $7::timestamptz[])"
            " AS v(id, points_balance, lifetime_points, order_count, total_spent,"
            " first_order_at, last_order_at) WHERE c.id = v.id",
            [*(list(column) for column in zip(*wallets, strict=True)), now],
        )
        return
    await sql.execute_many(
        "UPDATE customer SET points_balance = ?, lifetime_points = ?, order_count = ?,"
        " total_spent = ?, first_order_at = ?, last_order_at = ?, updated_at = ?"
        " WHERE id = ?",
        [(*w[1:], now, w[0]) for w in wallets],
    )
