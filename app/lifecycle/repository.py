"""Lifecycle queries: the set-based recompute statement and single-customer stage writes.

`recompute` rewrites the stage and RFM columns of every customer of one organization with one
UPDATE statement, whatever the number of customers:

    UPDATE customer SET lifecycle_stage = s.stage, rfm_recency = s.r, ...
    FROM (SELECT id, <stage CASE>,
                 NTILE(5) OVER (PARTITION BY scored ORDER BY last_order_at, id) AS r, ...
          FROM customer WHERE organization_id = $1) AS s
    WHERE customer.id = s.id AND (any of the five columns differs)

The stage CASE is `rules.stage_for` in SQL; the segment CASE is generated from
`rules.SEGMENT_TABLE`. Scores are computed within the partition of scored customers (live, with
an order) and set to NULL for the others. One statement means one snapshot (stage and scores
agree) and at most one new row version per customer; rows whose values do not change are not
written, so a nightly run over a stable customer base is mostly one scan and three sorts.

PostgreSQL and SQLite (3.33+ for UPDATE ... FROM, 3.25+ for window functions) run the same
statement; the differences are the placeholders ($n / ?n, both numbered so a value can be used
twice), the null-safe "differs" operator, and two sort keys SQLite stores as text (timestamps
compared through julianday(), money cast to a number).

Every value (organization, thresholds, statuses, stage and segment names, table keys) is a bound
parameter; only code constants are part of the SQL text.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from app.core.transactions import atomic
from app.customers.repository.visibility import LIVE_STATUSES
from app.lifecycle.rules import segment_keys
from app.models.customer import Customer, LifecycleStage
from app.organizations.program import LoyaltyProgram

CONNECTION = "default"


class _Sql:
    """Dialect fragments and numbered placeholders for one statement."""

    def __init__(self, dialect: str) -> None:
        self.postgres = dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any) -> str:
        if isinstance(value, uuid.UUID) and not self.postgres:
            value = str(value)  # SQLite stores UUIDs as their text form.
        elif isinstance(value, dt.datetime) and not self.postgres:
            value = value.isoformat(" ")
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else f"?{len(self.values)}"

    def params(self, values: tuple[Any, ...]) -> str:
        return ", ".join(self.param(v) for v in values)

    def timestamp(self, expression: str) -> str:
        # SQLite keeps timestamps as ISO text with an offset; julianday() compares instants.
        return expression if self.postgres else f"julianday({expression})"

    def money(self, expression: str) -> str:
        # SQLite keeps decimals as text, which would sort "100.00" before "9.50".
        return expression if self.postgres else f"CAST({expression} AS NUMERIC)"

    @property
    def differs(self) -> str:
        return "IS DISTINCT FROM" if self.postgres else "IS NOT"


def _stage_case(sql: _Sql, now: dt.datetime, program: LoyaltyProgram) -> str:
    """The SQL of `rules.stage_for` over the columns of `customer` (same order of checks)."""
    lost_before = now - dt.timedelta(days=program.lost_after_days)
    at_risk_before = now - dt.timedelta(days=program.at_risk_after_days)
    last = sql.timestamp("last_order_at")
    return (
        "CASE"
        f" WHEN order_count <= 0 OR last_order_at IS NULL THEN {sql.param(LifecycleStage.MEMBER)}"
        f" WHEN {last} < {sql.timestamp(sql.param(lost_before))}"
        f" THEN {sql.param(LifecycleStage.LOST)}"
        f" WHEN {last} < {sql.timestamp(sql.param(at_risk_before))}"
        f" THEN {sql.param(LifecycleStage.AT_RISK)}"
        f" WHEN order_count = 1 THEN {sql.param(LifecycleStage.ONE_TIME_BUYER)}"
        f" ELSE {sql.param(LifecycleStage.ACTIVE)} END"
    )


def _segment_case(sql: _Sql, recency: str, frequency: str, monetary: str) -> str:
    """CASE over R * 10 + FM, one WHEN per cell of `rules.SEGMENT_TABLE`."""
    names: dict[str, str] = {}
    whens = []
    for key, segment in sorted(segment_keys().items()):
        if segment.value not in names:
            names[segment.value] = sql.param(segment.value)
        whens.append(f"WHEN {sql.param(key)} THEN {names[segment.value]}")
    fm = f"({frequency} + {monetary} + 1) / 2"
    return f"CASE {recency} * 10 + {fm} {' '.join(whens)} END"


def _scored(sql: _Sql, organization_id: uuid.UUID | None = None) -> str:
    """Who gets RFM scores: live customers (of the organization) with at least one order."""
    org = ""
    if organization_id is not None:
        org = f"organization_id = {sql.param(organization_id)} AND "
    return (
        f"{org}status IN ({sql.params(tuple(s.value for s in LIVE_STATUSES))})"
        " AND order_count > 0 AND last_order_at IS NOT NULL"
    )


def recompute_statement(
    dialect: str, organization_id: uuid.UUID, now: dt.datetime, program: LoyaltyProgram
) -> tuple[str, list[Any]]:
    sql = _Sql(dialect)
    org = sql.param(organization_id)
    stage = _stage_case(sql, now, program)
    scored = _scored(sql)

    def ntile(key: str) -> str:
        return (
            f"CASE WHEN scored = 1 THEN NTILE(5) OVER"
            f" (PARTITION BY scored ORDER BY {key} ASC, id ASC) END"
        )

    segment = _segment_case(sql, "r", "f", "m")
    targets = (
        ("lifecycle_stage", "stage"),
        ("rfm_recency", "r"),
        ("rfm_frequency", "f"),
        ("rfm_monetary", "m"),
        ("rfm_segment", "segment"),
    )
    assignments = ", ".join(f"{column} = s.{value}" for column, value in targets)
    changed = " OR ".join(f"customer.{column} {sql.differs} s.{value}" for column, value in targets)
    query = (
        f"UPDATE customer SET {assignments}"  # noqa: S608 - placeholders and constants only
        f" FROM (SELECT id, stage, r, f, m, {segment} AS segment FROM ("
        f"SELECT id, {stage} AS stage,"
        f" {ntile(sql.timestamp('last_order_at'))} AS r,"
        f" {ntile('order_count')} AS f,"
        f" {ntile(sql.money('total_spent'))} AS m"
        f" FROM (SELECT id, order_count, last_order_at, total_spent,"
        f" CASE WHEN {scored} THEN 1 ELSE 0 END AS scored"
        f" FROM customer WHERE organization_id = {org}) AS c) AS ranked) AS s"
        # The organization again, so the join reads one organization's rows, not the table.
        f" WHERE customer.id = s.id AND customer.organization_id = {org} AND ({changed})"
    )
    return query, sql.values


def scored_count_statement(dialect: str, organization_id: uuid.UUID) -> tuple[str, list[Any]]:
    sql = _Sql(dialect)
    query = f"SELECT COUNT(*) AS n FROM customer WHERE {_scored(sql, organization_id)}"  # noqa: S608
    return query, sql.values


# Sorting a large organization's customers three times wants more than the default 4 MB.
_PG_WORK_MEM = "SET LOCAL work_mem = '64MB'"


async def recompute(
    organization_id: uuid.UUID, now: dt.datetime, program: LoyaltyProgram
) -> tuple[int, int]:
    """Run the recompute for one organization: (rows changed, customers scored)."""
    async with atomic(CONNECTION) as conn:
        dialect = conn.capabilities.dialect
        if dialect == "postgres":
            await conn.execute_script(_PG_WORK_MEM)
        query, values = recompute_statement(dialect, organization_id, now, program)
        changed, _ = await conn.execute_query(query, values)
        query, values = scored_count_statement(dialect, organization_id)
        rows = await conn.execute_query_dict(query, values)
    return int(changed), int(rows[0]["n"])


async def set_stage(
    organization_id: uuid.UUID, customer_id: uuid.UUID, stage: LifecycleStage
) -> None:
    await Customer.filter(id=customer_id, organization_id=organization_id).update(
        lifecycle_stage=stage
    )
