"""Turning a generated block into table rows: ids, then columns for PostgreSQL's binary COPY
(`app.core.pgcopy.columns` encodes them) or SQLite rows.

Pure functions (no database). SQLite gets plain tuples in the form Tortoise stores (UUIDs and
timestamps as text, decimals as text with two places, booleans as 0/1).
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.core.pgcopy.columns import Column, Kind, Table
from app.seed import catalog
from app.seed.plan import (
    FIRST_KEYS,
    KEY_PREFIXES,
    LAST_KEYS,
    LEDGER_KINDS,
    LEDGER_REASONS,
    STAGES,
    TAGS_JSON,
    SeedBlock,
)

U8 = npt.NDArray[np.uint8]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# --- ids --------------------------------------------------------------------------------------


def time_ordered_ids(count: int) -> U8:
    """`count` UUIDv7 (the layout of `app.core.ids.new_id`) as a (count, 16) byte matrix.

    Strictly increasing in row order: the current millisecond, then a 74-bit random start
    incremented by one per row (RFC 9562 section 6.2, method 2), so rows keep their creation
    order and the primary key index grows at its right edge.
    """
    millis = time.time_ns() // 1_000_000
    start = int.from_bytes(os.urandom(10), "big") >> 6
    # Room for the increments without carrying into the version bits.
    rand_a = (start >> 62) % 4095
    rand_b = start & ((1 << 62) - 1)
    low = np.uint64(rand_b) + np.arange(count, dtype=np.uint64)
    carry = low >> np.uint64(62)
    high = (np.uint64((millis & ((1 << 48) - 1)) << 16 | 0x7 << 12 | rand_a) + carry).astype(">u8")
    low = ((low & np.uint64((1 << 62) - 1)) | np.uint64(0b10 << 62)).astype(">u8")
    out = np.empty((count, 2), dtype=">u8")
    out[:, 0] = high
    out[:, 1] = low
    return out.view(np.uint8).reshape(count, 16)


def uuid_text(ids: U8) -> U8:
    """Canonical lower-case text (36 ASCII bytes a row) of a (n, 16) id matrix."""
    n = len(ids)
    hexed = np.empty((n, 32), dtype=np.uint8)
    hexed[:, 0::2] = _HEX[ids >> 4]
    hexed[:, 1::2] = _HEX[ids & 15]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8] = hexed[:, 0:8]
    out[:, 9:13] = hexed[:, 8:12]
    out[:, 14:18] = hexed[:, 12:16]
    out[:, 19:23] = hexed[:, 16:20]
    out[:, 24:36] = hexed[:, 20:32]
    return out


def digits(values: npt.NDArray[np.int64], width: int) -> U8:
    """Zero-padded decimal text of non-negative integers, `width` ASCII bytes a row."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    out: U8 = ((values[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
    return out


def ascii_matrix(text: str, rows: int) -> U8:
    return np.broadcast_to(np.frombuffer(text.encode(), dtype=np.uint8), (rows, len(text)))


# --- columns ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the encoder needs from the database: the organization and its rows by index."""

    organization_id: uuid.UUID
    store_ids: tuple[uuid.UUID, ...]
    signup_form_ids: tuple[uuid.UUID, ...]


def _id_rows(values: Sequence[uuid.UUID]) -> U8:
    return np.frombuffer(b"".join(v.bytes for v in values), dtype=np.uint8).reshape(-1, 16)


def _fixed_text(name: str, parts: list[U8]) -> Column:
    return Column(name, Kind.TEXT, matrix=np.ascontiguousarray(np.hstack(parts)))


def _const_text(name: str, value: str, rows: int) -> Column:
    return Column(name, Kind.TEXT, codes=np.zeros(rows, dtype=np.int8), vocab=(value,))


def _lookup(table: U8, rows: npt.NDArray[Any], name: str) -> Column:
    """A nullable UUID column referencing `table` rows (-1: NULL)."""
    missing = rows < 0
    if not len(table):
        table = np.zeros((1, 16), dtype=np.uint8)  # every row is NULL
    return Column(name, Kind.UUID, matrix=table[np.where(missing, 0, rows)], null=missing)


@dataclass
class BlockTables:
    customers: Table
    orders: Table
    items: Table
    ledger: Table

    def all(self) -> list[Table]:
        # In foreign-key order.
        return [self.customers, self.orders, self.items, self.ledger]


def block_tables(block: SeedBlock, ctx: Context) -> BlockTables:
    c, o, it, led = block.customers, block.orders, block.items, block.ledger
    n, m, k, e = len(c), len(o), len(it), len(led)
    customer_ids = time_ordered_ids(n)
    order_ids = time_ordered_ids(m)
    item_ids = time_ordered_ids(k)
    entry_ids = time_ordered_ids(e)
    org = np.frombuffer(ctx.organization_id.bytes, dtype=np.uint8)
    stores = _id_rows(ctx.store_ids)
    forms = _id_rows(ctx.signup_form_ids) if ctx.signup_form_ids else np.zeros((1, 16), np.uint8)

    city = c.city.astype(np.int64)
    city_names = tuple(x.name for x in catalog.CITIES)
    regions = tuple(x.region for x in catalog.CITIES)
    has_orders = c.order_count > 0
    no_form = (c.signup_form < 0) | (c.signup_form >= len(ctx.signup_form_ids))
    customers = Table(
        "customer",
        n,
        [
            Column("id", Kind.UUID, matrix=customer_ids),
            Column("organization_id", Kind.UUID, matrix=org),
            _const_text("status", "ACTIVE", n),
            Column("email", Kind.TEXT, strings=c.email),
            Column("phone", Kind.TEXT, strings=c.phone),
            Column("external_reference", Kind.TEXT, strings=c.external_reference),
            Column("first_name", Kind.TEXT, codes=c.first_name, vocab=catalog.FIRST_NAMES),
            Column("last_name", Kind.TEXT, codes=c.last_name, vocab=catalog.LAST_NAMES),
            Column("first_name_key", Kind.TEXT, codes=c.first_name, vocab=FIRST_KEYS),
            Column("last_name_key", Kind.TEXT, codes=c.last_name, vocab=LAST_KEYS),
            Column("birthday", Kind.DATE, numbers=c.birthday, null=~c.has_birthday),
            Column(
                "birthday_monthday", Kind.INT2, numbers=c.birthday_monthday, null=~c.has_birthday
            ),
            Column("city", Kind.TEXT, codes=city, vocab=city_names),
            Column("region", Kind.TEXT, codes=city, vocab=regions),
            Column("postal_code", Kind.TEXT, strings=c.postal_code),
            Column("country", Kind.TEXT, codes=c.country, vocab=catalog.COUNTRIES),
            Column("traits", Kind.JSON, codes=c.group, vocab=block.traits),
            Column(
                "signup_form_id",
                Kind.UUID,
                matrix=forms[np.where(no_form, 0, c.signup_form)],
                null=no_form,
            ),
            Column("loyalty_enrolled", Kind.BOOL, numbers=np.ones(n, dtype=np.int8)),
            _lookup(stores, c.favorite_store, "favorite_store_id"),
            Column(
                "favorite_store_source",
                Kind.TEXT,
                codes=np.where(has_orders, 0, -1),
                vocab=("PURCHASE_HISTORY",),
            ),
            Column("email_opt_in", Kind.BOOL, numbers=np.zeros(n, dtype=np.int8)),
            _const_text("sms_state", "NOT_SUBSCRIBED", n),
            Column("push_opt_in", Kind.BOOL, numbers=np.zeros(n, dtype=np.int8)),
            _lookup(customer_ids, c.referrer, "referred_by_id"),
            Column("points_balance", Kind.INT4, numbers=c.points_balance),
            Column("lifetime_points", Kind.INT4, numbers=c.lifetime_points),
            Column("order_count", Kind.INT4, numbers=c.order_count),
            Column("total_spent", Kind.MONEY, numbers=c.total_spent),
            Column("first_order_at", Kind.TIMESTAMPTZ, numbers=c.first_order_at, null=~has_orders),
            Column("last_order_at", Kind.TIMESTAMPTZ, numbers=c.last_order_at, null=~has_orders),
            Column("lifecycle_stage", Kind.TEXT, codes=c.lifecycle_stage, vocab=STAGES),
            Column("created_at", Kind.TIMESTAMPTZ, numbers=c.created_at),
            Column("updated_at", Kind.TIMESTAMPTZ, numbers=c.updated_at),
        ],
    )

    # Receipts: "R<customer index, 10 digits>-<order number, 3 digits>", unique by design.
    receipt = _fixed_text(
        "receipt_number",
        [
            ascii_matrix("R", m),
            digits(c.index[o.customer], 10),
            ascii_matrix("-", m),
            digits(o.sequence.astype(np.int64), 3),
        ],
    )
    orders = Table(
        "customer_order",
        m,
        [
            Column("id", Kind.UUID, matrix=order_ids),
            Column("organization_id", Kind.UUID, matrix=org),
            Column("customer_id", Kind.UUID, matrix=customer_ids[o.customer]),
            Column("store_id", Kind.UUID, matrix=stores[o.store]),
            receipt,
            Column("total", Kind.MONEY, numbers=o.total),
            Column("placed_at", Kind.TIMESTAMPTZ, numbers=o.placed_at),
            _const_text("status", "COMPLETED", m),
            Column("points_earned", Kind.INT4, numbers=o.points),
            Column("created_at", Kind.TIMESTAMPTZ, numbers=o.placed_at),
            Column("updated_at", Kind.TIMESTAMPTZ, numbers=o.placed_at),
        ],
    )

    category_codes = np.frombuffer(
        "".join(x.code for x in catalog.CATEGORIES).encode(), dtype=np.uint8
    ).reshape(-1, 3)
    sku = _fixed_text(
        "sku",
        [
            category_codes[it.category],
            ascii_matrix("-", k),
            digits(it.product.astype(np.int64), 5),
        ],
    )
    items = Table(
        "order_item",
        k,
        [
            Column("id", Kind.UUID, matrix=item_ids),
            Column("order_id", Kind.UUID, matrix=order_ids[it.order]),
            sku,
            Column(
                "category",
                Kind.TEXT,
                codes=it.category,
                vocab=tuple(x.name for x in catalog.CATEGORIES),
            ),
            Column("tags", Kind.JSON, codes=it.tag_set, vocab=TAGS_JSON),
            Column("quantity", Kind.INT4, numbers=it.quantity),
            Column("price", Kind.MONEY, numbers=it.price),
        ],
    )

    ledger = Table(
        "ledger_entry",
        e,
        [
            Column("id", Kind.UUID, matrix=entry_ids),
            Column("organization_id", Kind.UUID, matrix=org),
            Column("customer_id", Kind.UUID, matrix=customer_ids[led.customer]),
            Column("kind", Kind.TEXT, codes=led.kind, vocab=LEDGER_KINDS),
            Column("points", Kind.INT4, numbers=led.points),
            Column("reason", Kind.TEXT, codes=led.reason, vocab=LEDGER_REASONS),
            _const_text("actor_kind", "SYSTEM", e),
            _lookup(order_ids, led.order, "order_id"),
            _idempotency_keys(block, customer_ids, order_ids, entry_ids),
            Column("expires_at", Kind.TIMESTAMPTZ, numbers=led.expires_at, null=led.expires_at < 0),
            Column("remaining", Kind.INT4, numbers=led.remaining),
            Column("balance_after", Kind.INT4, numbers=led.balance_after),
            Column("created_at", Kind.TIMESTAMPTZ, numbers=led.created_at),
        ],
    )
    return BlockTables(customers, orders, items, ledger)


def _idempotency_keys(block: SeedBlock, customers: U8, orders: U8, entries: U8) -> Column:
    """Keys "<prefix><referenced id>", as the order, referral and expiry services write them."""
    led = block.ledger
    referenced = np.empty((len(led), 16), dtype=np.uint8)
    for key_kind, source in enumerate((orders, entries, customers, customers, entries)):
        mask = led.key_kind == key_kind
        referenced[mask] = source[led.key_ref[mask]]
    text = uuid_text(referenced)
    # One fixed-width piece per prefix.
    parts = []
    for key_kind, prefix in enumerate(KEY_PREFIXES):
        rows = np.flatnonzero(led.key_kind == key_kind)
        if len(rows):
            parts.append((rows, np.hstack([ascii_matrix(prefix, len(rows)), text[rows]])))
    return Column("idempotency_key", Kind.TEXT, parts=parts)


# --- PostgreSQL binary COPY -------------------------------------------------------------------


# --- SQLite rows ------------------------------------------------------------------------------


def _timestamps(values: npt.NDArray[Any]) -> list[str]:
    # Tortoise's SQLite adapter writes datetime.isoformat(" ").
    return [(_EPOCH + dt.timedelta(microseconds=v)).isoformat(" ") for v in values.tolist()]


def _column_values(column: Column, n: int) -> list[Any]:
    kind = column.kind
    values: list[Any]
    if column.matrix is not None:
        matrix = column.matrix
        if matrix.ndim == 1:
            matrix = np.broadcast_to(matrix, (n, len(matrix)))
        if kind is Kind.UUID:
            matrix = uuid_text(np.ascontiguousarray(matrix))
        width = matrix.shape[1]
        text = np.ascontiguousarray(matrix).tobytes().decode()
        values = [text[i * width : (i + 1) * width] for i in range(n)]
    elif column.codes is not None:
        vocab = list(column.vocab)
        values = [vocab[code] if code >= 0 else None for code in column.codes.tolist()]
        return values
    elif column.strings is not None:
        return list(column.strings)
    elif column.parts is not None:
        values = [None] * n
        for rows, matrix in column.parts:
            width = matrix.shape[1]
            text = np.ascontiguousarray(matrix).tobytes().decode()
            for j, row in enumerate(rows.tolist()):
                values[row] = text[j * width : (j + 1) * width]
        return values
    else:
        assert column.numbers is not None, column.name
        numbers = column.numbers
        if kind is Kind.TIMESTAMPTZ:
            values = _timestamps(numbers)
        elif kind is Kind.DATE:
            values = [
                (dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat() for d in numbers.tolist()
            ]
        elif kind is Kind.MONEY:
            values = [f"{v // 100}.{v % 100:02d}" for v in numbers.tolist()]
        elif kind is Kind.BOOL:
            values = [1 if v else 0 for v in numbers.tolist()]
        else:
            values = numbers.tolist()
    if column.null is not None:
        return [None if gone else v for v, gone in zip(values, column.null.tolist(), strict=True)]
    return values


def sqlite_rows(table: Table) -> list[tuple[Any, ...]]:
    columns = [_column_values(c, table.rows) for c in table.columns]
    return list(zip(*columns, strict=True)) if columns else []
