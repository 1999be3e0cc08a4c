"""The SQL of the persona features: the one aggregate statement, the vocabulary's label and
place counts, and reading the result (a binary COPY stream on PostgreSQL, cursor chunks on
SQLite). What the statement computes is described in `app.personas.features`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from tortoise.backends.base.client import BaseDBAsyncClient

from app.core.pgcopy.decode import CopyDecoder
from app.customers.repository.visibility import LIVE_STATUSES
from app.models.customer import ChurnRisk
from app.models.order import OrderStatus
from app.models.wallet import LedgerKind
from app.personas.feature_columns import (
    _NO_AGE,
    BASE_COLUMNS,
    BIRTHDAY_REASON,
    DAYS_PER_YEAR,
    F32,
    SAMPLE_ABOVE_ROWS,
    SAMPLE_MIN_MATCHES,
    SAMPLE_SEED,
    SAMPLE_TARGET_ROWS,
    U8,
    Vocabulary,
)


class _Sql:
    """Numbered placeholders for one statement ($n on PostgreSQL, ?n on SQLite)."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        if not self.postgres:
            if isinstance(value, uuid.UUID):
                value = str(value)
            elif isinstance(value, dt.datetime):
                value = value.isoformat(" ")
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else f"?{len(self.values)}"

    def params(self, values: Sequence[Any]) -> str:
        return ", ".join(self.param(v) for v in values)

    def real(self, expression: str) -> str:
        return f"({expression})::float8" if self.postgres else f"CAST({expression} AS REAL)"

    def out(self, expression: str) -> str:
        """An output column: float4 on PostgreSQL (fixed-width COPY records)."""
        return f"({expression})::float4" if self.postgres else f"CAST({expression} AS REAL)"

    def days_between(self, later: str, earlier: str) -> str:
        if self.postgres:
            return f"EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0"
        return f"(julianday({later}) - julianday({earlier}))"

    def has_tag(self, tags: str, tag: str) -> str:
        if self.postgres:
            return f"{tags} ? {tag}"
        # Both are code: a column name and a placeholder.
        return f"EXISTS (SELECT 1 FROM json_each({tags}) AS j WHERE j.value = {tag})"  # noqa: S608

    def month(self, timestamp: str) -> str:
        if self.postgres:
            return f"EXTRACT(MONTH FROM {timestamp} AT TIME ZONE 'UTC')"
        return f"CAST(strftime('%m', {timestamp}) AS INTEGER)"

    def tag_values(self, tags: str) -> str:
        """A FROM item yielding one `value` row per tag of a JSON array."""
        if self.postgres:
            return (
                f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({tags}) = 'array'"
                f" THEN {tags} ELSE '[]'::jsonb END) AS t(value)"
            )
        return f"json_each(CASE WHEN json_type({tags}) = 'array' THEN {tags} ELSE '[]' END) AS t"


def _live(sql: _Sql) -> str:
    return sql.params([s.value for s in LIVE_STATUSES])


def _code_case(sql: _Sql, expression: str, labels: Sequence[str]) -> str:
    """1-based position of the expression's value in `labels`, 0 when absent."""
    if not labels:
        return "0"
    whens = " ".join(f"WHEN {sql.param(label)} THEN {i}" for i, label in enumerate(labels, 1))
    return f"CASE {expression} {whens} ELSE 0 END"


def feature_statement(
    dialect: str, organization_id: uuid.UUID, now: dt.datetime, vocabulary: Vocabulary
) -> tuple[str, list[Any]]:
    """The one aggregate statement: a row of float values per customer, ordered by id."""
    sql = _Sql(dialect)
    org = sql.param(organization_id)
    completed = sql.param(OrderStatus.COMPLETED.value)
    at = sql.param(now)
    at_ts = f"{at}::timestamptz" if sql.postgres else at
    live = _live(sql)
    price = sql.real("i.price")
    # Measured "as of" `now`: orders placed after it (a past `now`) do not count.
    placed_by_now = (
        f"o.placed_at <= {at_ts}" if sql.postgres else f"julianday(o.placed_at) <= julianday({at})"
    )

    category_sums = [
        f"SUM({price}) FILTER (WHERE i.category = {sql.param(name)}) AS c{n}"
        for n, name in enumerate(vocabulary.categories)
    ]
    tag_counts = [
        f"COUNT(*) FILTER (WHERE {sql.has_tag('i.tags', sql.param(name))}) AS t{n}"
        for n, name in enumerate(vocabulary.tags)
    ]
    item_columns = ", ".join(
        [
            f"COUNT(*) AS items, SUM({price}) AS item_spend, SUM(i.quantity) AS item_units,"
            " COUNT(DISTINCT i.order_id) AS item_orders",
            *category_sums,
            *tag_counts,
        ]
    )
    earn = sql.param(LedgerKind.EARN.value)
    redeem = sql.param(LedgerKind.REDEEM.value)
    birthday = sql.param(BIRTHDAY_REASON)

    if sql.postgres:
        age = f"(({at_ts})::date - c.birthday) / {DAYS_PER_YEAR}"
    else:
        age = f"(julianday({at}) - julianday(c.birthday)) / {DAYS_PER_YEAR}"
    country = _code_case(sql, "c.country", vocabulary.countries)
    city = _code_case(
        sql,
        "COALESCE(c.country, '') || '|' || COALESCE(c.city, '')",
        [f"{a}|{b}" for a, b in vocabulary.cities],
    )
    outputs = [
        "o.orders",
        "o.spent",
        sql.days_between(at_ts, "o.last_at"),
        sql.days_between(at_ts, "o.first_at"),
        "0",  # the birthday month's column of o, below
        "COALESCE(it.items, 0)",
        "COALESCE(it.item_spend, 0)",
        "COALESCE(l.earned, 0)",
        "COALESCE(l.redeemed, 0)",
        "COALESCE(l.redemptions, 0)",
        "COALESCE(l.birthday_rewards, 0)",
        "COALESCE(r.referrals, 0)",
        f"CASE WHEN c.birthday IS NULL THEN {_NO_AGE} ELSE {age} END",
        country,
        city,
        *(f"COALESCE(it.c{n}, 0)" for n in range(len(vocabulary.categories))),
        *(f"COALESCE(it.t{n}, 0)" for n in range(len(vocabulary.tags))),
    ]
    last_at = "MAX(s.placed_at)" if sql.postgres else "MAX(julianday(s.placed_at))"
    # SQLite keeps julian day numbers here; julianday() of a number is the number itself.
    first_at = "MIN(s.placed_at)" if sql.postgres else "MIN(julianday(s.placed_at))"
    previous = "LAG(o.placed_at) OVER (PARTITION BY o.customer_id ORDER BY o.placed_at, o.id)"
    months = ", ".join(f"COUNT(*) FILTER (WHERE s.m = {m}) AS m{m}" for m in range(1, 13))
    birthday_month = " ".join(f"WHEN {m} THEN o.m{m}" for m in range(1, 13))
    outputs[4] = f"CASE c.birthday_monthday / 100 {birthday_month} ELSE 0 END"
    # The mean of squared gaps travels in the standard deviation's column; `load_features`
    # turns it into the deviation (SQLite has no SQRT without its math extension).
    outputs[15:15] = [
        "CASE WHEN o.gaps >= 1 THEN o.gap_mean ELSE 0 END",
        "CASE WHEN o.gaps >= 2 THEN o.gap_squares ELSE 0 END",
    ]
    outputs[17:17] = [
        "CASE WHEN o.unit_orders > 0 THEN o.units ELSE COALESCE(it.item_units, 0) END",
        "CASE WHEN o.unit_orders > 0 THEN o.unit_orders ELSE COALESCE(it.item_orders, 0) END",
        "CASE WHEN c.churn_risk IS NULL THEN -1"
        f" WHEN c.churn_risk = {sql.param(ChurnRisk.HIGH.value)} THEN 1 ELSE 0 END",
    ]
    select = ", ".join(sql.out(e) for e in outputs)
    query = (
        # Placeholders and code constants only; every value is bound.
        "WITH o AS ("  # noqa: S608
        f"SELECT s.customer_id, COUNT(*) AS orders, SUM(s.total) AS spent,"
        f" {last_at} AS last_at, {first_at} AS first_at, COUNT(s.gap) AS gaps,"
        f" AVG(s.gap) AS gap_mean, AVG(s.gap * s.gap) AS gap_squares, {months},"
        " SUM(s.units) AS units, COUNT(s.units) AS unit_orders"
        f" FROM (SELECT o.customer_id, {sql.real('o.total')} AS total, o.placed_at, o.units,"
        f" {sql.month('o.placed_at')} AS m,"
        f" {sql.days_between('o.placed_at', previous)} AS gap"
        " FROM customer_order o"
        f" WHERE o.organization_id = {org} AND o.status = {completed} AND {placed_by_now}"
        " AND o.customer_id IS NOT NULL) AS s"
        " GROUP BY s.customer_id),"
        f" it AS (SELECT o.customer_id, {item_columns}"
        " FROM order_item i JOIN customer_order o ON o.id = i.order_id"
        f" WHERE o.organization_id = {org} AND o.status = {completed} AND {placed_by_now}"
        " AND o.customer_id IS NOT NULL GROUP BY o.customer_id),"
        " l AS (SELECT e.customer_id,"
        f" SUM(e.points) FILTER (WHERE e.kind = {earn} AND e.points > 0) AS earned,"
        f" -SUM(e.points) FILTER (WHERE e.kind = {redeem}) AS redeemed,"
        f" COUNT(*) FILTER (WHERE e.kind = {redeem}) AS redemptions,"
        f" COUNT(*) FILTER (WHERE e.kind = {earn} AND e.reason = {birthday}) AS birthday_rewards"
        f" FROM ledger_entry e WHERE e.organization_id = {org} GROUP BY e.customer_id),"
        " r AS (SELECT x.referred_by_id AS customer_id, COUNT(*) AS referrals FROM customer x"
        f" WHERE x.organization_id = {org} AND x.referred_by_id IS NOT NULL"
        f" AND x.status IN ({live}) GROUP BY x.referred_by_id)"
        f" SELECT c.id, {select}"
        " FROM customer c JOIN o ON o.customer_id = c.id"
        " LEFT JOIN it ON it.customer_id = c.id"
        " LEFT JOIN l ON l.customer_id = c.id"
        " LEFT JOIN r ON r.customer_id = c.id"
        f" WHERE c.organization_id = {org} AND c.status IN ({live})"
        " ORDER BY c.id"
    )
    return query, sql.values


def label_statement(
    dialect: str, organization_id: uuid.UUID, sample_percent: float | None
) -> tuple[str, list[Any]]:
    """Item lines per category and per tag (kind 0 and 1) and in all (kind 2), exact or from a
    page sample; the items are read once (a CTE used three times is materialized)."""
    sql = _Sql(dialect)
    org = sql.param(organization_id)
    completed = sql.param(OrderStatus.COMPLETED.value)
    source = "order_item i"
    if sample_percent is not None:
        source += f" TABLESAMPLE SYSTEM ({float(sample_percent):.6f}) REPEATABLE ({SAMPLE_SEED})"
    query = (
        "WITH s AS (SELECT i.category, i.tags"  # noqa: S608 - placeholders and constants
        f" FROM {source} JOIN customer_order o ON o.id = i.order_id"
        f" WHERE o.organization_id = {org} AND o.status = {completed}"
        " AND o.customer_id IS NOT NULL)"
        " SELECT 0 AS kind, s.category AS label, COUNT(*) AS n FROM s"
        " WHERE s.category IS NOT NULL GROUP BY s.category"
        f" UNION ALL SELECT 1 AS kind, t.value AS label, COUNT(*) AS n"
        f" FROM s CROSS JOIN {sql.tag_values('s.tags')} GROUP BY t.value"
        " UNION ALL SELECT 2 AS kind, '' AS label, COUNT(*) AS n FROM s"
    )
    return query, sql.values


def location_statement(dialect: str, organization_id: uuid.UUID) -> tuple[str, list[Any]]:
    sql = _Sql(dialect)
    query = (
        "SELECT COALESCE(country, '') AS country, COALESCE(city, '') AS city,"  # noqa: S608
        " COUNT(*) AS n FROM customer"
        f" WHERE organization_id = {sql.param(organization_id)} AND status IN ({_live(sql)})"
        " AND (country IS NOT NULL OR city IS NOT NULL)"
        " GROUP BY COALESCE(country, ''), COALESCE(city, '')"
    )
    return query, sql.values


async def _item_rows_estimate(conn: BaseDBAsyncClient) -> int:
    rows = await conn.execute_query_dict(
        "SELECT reltuples::bigint AS n FROM pg_class WHERE relname = 'order_item'"
    )
    return int(rows[0]["n"]) if rows else 0


async def label_counts(
    conn: BaseDBAsyncClient, organization_id: uuid.UUID
) -> tuple[dict[str, int], dict[str, int], int]:
    dialect = conn.capabilities.dialect
    percent: float | None = None
    if dialect == "postgres":
        estimate = await _item_rows_estimate(conn)
        if estimate > SAMPLE_ABOVE_ROWS:
            percent = min(100.0, 100.0 * SAMPLE_TARGET_ROWS / estimate)
    for attempt in (percent, None):
        query, values = label_statement(dialect, organization_id, attempt)
        rows = await conn.execute_query_dict(query, values)
        categories: dict[str, int] = {}
        tags: dict[str, int] = {}
        total = 0
        for row in rows:
            kind, label, n = int(row["kind"]), row["label"], int(row["n"])
            if kind == 2:
                total = n
            elif isinstance(label, str):
                (categories if kind == 0 else tags)[label] = n
        # A small organization in a large shared table: too few sampled lines, count exactly.
        if attempt is None or total >= SAMPLE_MIN_MATCHES:
            return categories, tags, total
    raise AssertionError("unreachable")  # pragma: no cover


async def place_counts(conn: BaseDBAsyncClient, organization_id: uuid.UUID) -> list[dict[str, Any]]:
    """Live customers per (country, city), either possibly empty."""
    query, values = location_statement(conn.capabilities.dialect, organization_id)
    return await conn.execute_query_dict(query, values)


async def _read_postgres(
    conn: BaseDBAsyncClient, query: str, values: list[Any], columns: int
) -> tuple[U8, F32]:
    decoder = CopyDecoder(columns)

    async def sink(data: bytes) -> None:
        decoder.feed(data)

    async with conn.acquire_connection() as raw:
        await raw.copy_from_query(query, *values, output=sink, format="binary")
    return decoder.finish()


async def _read_sqlite(
    conn: BaseDBAsyncClient, query: str, values: list[Any], columns: int, chunk_rows: int
) -> tuple[U8, F32]:
    ids: list[U8] = []
    chunks: list[F32] = []
    async with conn.acquire_connection() as raw:
        cursor = await raw.execute(query, values)
        try:
            while True:
                rows = await cursor.fetchmany(chunk_rows)
                if not rows:
                    break
                ids.append(
                    np.frombuffer(
                        b"".join(uuid.UUID(str(row[0])).bytes for row in rows), dtype=np.uint8
                    ).reshape(-1, 16)
                )
                chunks.append(
                    np.array([tuple(row)[1:] for row in rows], dtype=np.float64).astype(np.float32)
                )
        finally:
            await cursor.close()
    if not ids:
        return np.zeros((0, 16), np.uint8), np.zeros((0, columns), np.float32)
    return np.concatenate(ids), np.concatenate(chunks)


async def read_features(
    conn: BaseDBAsyncClient,
    organization_id: uuid.UUID,
    now: dt.datetime,
    vocabulary: Vocabulary,
    chunk_rows: int,
) -> tuple[U8, F32]:
    """The statement's rows: customer ids (n, 16) and their values (n, columns) as float32."""
    dialect = conn.capabilities.dialect
    query, values = feature_statement(dialect, organization_id, now, vocabulary)
    columns = BASE_COLUMNS + len(vocabulary.categories) + len(vocabulary.tags)
    if dialect == "postgres":
        return await _read_postgres(conn, query, values, columns)
    return await _read_sqlite(conn, query, values, columns, chunk_rows)


async def widen_sort_memory(conn: BaseDBAsyncClient) -> None:
    """PostgreSQL: enough memory for the aggregate's hashes and window sort to stay in RAM,
    for this transaction only."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script("SET LOCAL work_mem = '256MB'")


async def refresh_statistics(conn: BaseDBAsyncClient, table: str) -> None:
    """PostgreSQL: fresh planner statistics for a table just rewritten in bulk."""
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(f"ANALYZE {table}")
