"""Lifecycle queries: the set-based recompute statement and single-customer stage writes.

`recompute` rewrites the stage and RFM columns of every customer of one organization with one
UPDATE statement, whatever the number of customers:

    UPDATE customer SET lifecycle_stage = s.stage, rfm_recency = s.r, ...
    FROM (SELECT ctid AS row_ref, <stage CASE> AS stage,
                 1 + 5 * (RANK() OVER (PARTITION BY scored ORDER BY last_order_at) - 1)
                   / COUNT(*) OVER (PARTITION BY scored) AS r, ...
          FROM customer WHERE organization_id = $1) AS s
    WHERE (any of the five columns differs from its new value: filtered inside s)
      AND customer.ctid = s.row_ref

The stage CASE is `rules.stage_for` in SQL; the segment CASE is generated from
`rules.SEGMENT_TABLE`; the score expression is `rules.quintile` (ties share a score,
nothing depends on ids). Scores are computed within the partition of scored customers (live,
with an order) and set to NULL for the others.

"As of" a moment (`as_of`): the statistics come from the completed orders placed up to it
(one aggregate of `customer_order` joined to the customers) instead of the columns kept on the
customer row, and stages are measured to it; orders placed later are ignored.

One statement means one snapshot (stage and scores agree) and at most one new row version per
customer; rows whose values do not change are not written, and the customers are read once,
so a nightly run over a stable customer base is one scan and three sorts, as fast as the bare
window-function SELECT (`bench/lifecycle.py` measures both).

PostgreSQL and SQLite (3.33+ for UPDATE ... FROM, 3.25+ for window functions) run the same
statement; the differences are the placeholders ($n / ?n, both numbered so a value can be used
twice), the null-safe "differs" operator, a row's address (`ctid` / `rowid`), and two sort keys
SQLite stores as text (timestamps compared through julianday(), money in whole cents).

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
from app.models.order import OrderStatus
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

    def cents(self, expression: str) -> str:
        """An amount as a number to sort and add up exactly. SQLite keeps decimals as text
        (which would sort "100.00" before "9.50") and its numbers are floats (0.10 + 0.20 is
        not 0.30, which would split a tie): whole cents are integers there."""
        if self.postgres:
            return expression
        return f"CAST(ROUND({expression} * 100) AS INTEGER)"

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


def _scored(sql: _Sql) -> str:
    """Who gets RFM scores: live customers with at least one order."""
    return (
        f"status IN ({sql.params(tuple(s.value for s in LIVE_STATUSES))})"
        " AND order_count > 0 AND last_order_at IS NOT NULL"
    )


# The columns the recompute writes, and the name of each one's new value in the statement.
_TARGETS = (
    ("lifecycle_stage", "stage"),
    ("rfm_recency", "r"),
    ("rfm_frequency", "f"),
    ("rfm_monetary", "m"),
    ("rfm_segment", "segment"),
)


def _statistics(sql: _Sql, org: str, as_of: dt.datetime | None) -> str:
    """The customers of the organization with their purchase statistics, as a FROM item with
    the columns row_ref (where the row lives: `ctid` / `rowid`), status, order_count,
    last_order_at, spent (exact: `_Sql.cents`) and the five written columns as they are now.

    Without `as_of`: the statistics kept on the customer row (every completed order). With it:
    aggregated from the completed orders placed at or before `as_of`, so later orders do not
    count (on SQLite `last_order_at` is then a julian day number, which `julianday()` keeps).
    """
    row_ref = "c.ctid" if sql.postgres else "c.rowid"
    current = ", ".join(f"c.{column}" for column, _ in _TARGETS)
    if as_of is None:
        return (
            f"(SELECT {row_ref} AS row_ref, c.status, c.order_count,"  # noqa: S608
            f" c.last_order_at, {sql.cents('c.total_spent')} AS spent, {current}"
            f" FROM customer c WHERE c.organization_id = {org}) AS c"
        )
    last = "MAX(o.placed_at)" if sql.postgres else "MAX(julianday(o.placed_at))"
    return (
        f"(SELECT {row_ref} AS row_ref, c.status, COALESCE(o.n, 0) AS order_count,"  # noqa: S608
        f" o.last_at AS last_order_at, COALESCE(o.spent, 0) AS spent, {current}"
        " FROM customer c LEFT JOIN"
        f" (SELECT o.customer_id, COUNT(*) AS n, {last} AS last_at,"
        f" SUM({sql.cents('o.total')}) AS spent"
        f" FROM customer_order o WHERE o.organization_id = {org}"
        f" AND o.status = {sql.param(OrderStatus.COMPLETED.value)}"
        f" AND {sql.timestamp('o.placed_at')} <= {sql.timestamp(sql.param(as_of))}"
        " AND o.customer_id IS NOT NULL GROUP BY o.customer_id) AS o"
        f" ON o.customer_id = c.id WHERE c.organization_id = {org}) AS c"
    )


def quintile_sql(key: str) -> str:
    """`rules.quintile` in SQL over the scored partition: 1 + 5 * (customers with a lower
    value) / (customers scored), in integers. RANK() gives tied rows the same rank (one plus
    the number of rows before them), so equal values get equal scores; no tie-breaker."""
    return (
        "CASE WHEN scored = 1 THEN 1 + 5 * (RANK() OVER"
        f" (PARTITION BY scored ORDER BY {key}) - 1) / COUNT(*) OVER (PARTITION BY scored) END"
    )


def recompute_statement(
    dialect: str,
    organization_id: uuid.UUID,
    now: dt.datetime,
    program: LoyaltyProgram,
    *,
    as_of: dt.datetime | None = None,
) -> tuple[str, list[Any]]:
    """The UPDATE that writes every customer's stage and scores, measured at `now`; with
    `as_of` (then also the `now`), from the orders placed up to it only.

    The customer rows are read once: the scan that feeds the windows carries each row's
    current values and its physical address (`ctid` on PostgreSQL, `rowid` on SQLite), rows
    whose five values would not change are dropped before the join, and the join reaches the
    others by address. A nightly run over a stable base is then one scan and three sorts, like
    the bare SELECT (a join by id would scan the customers a second time to build its hash).
    A row another transaction updates meanwhile has a new address: this run leaves it alone
    rather than overwrite the newer row with values computed from the older one.
    """
    sql = _Sql(dialect)
    org = sql.param(organization_id)
    stage = _stage_case(sql, now, program)
    scored = _scored(sql)
    source = _statistics(sql, org, as_of)
    segment = _segment_case(sql, "r", "f", "m")
    current = ", ".join(column for column, _ in _TARGETS)
    assignments = ", ".join(f"{column} = s.{value}" for column, value in _TARGETS)
    changed = " OR ".join(f"{column} {sql.differs} {value}" for column, value in _TARGETS)
    row = "ctid" if sql.postgres else "rowid"
    query = (
        f"UPDATE customer SET {assignments}"  # noqa: S608 - placeholders and constants only
        " FROM (SELECT * FROM ("
        f"SELECT row_ref, {current}, stage, r, f, m, {segment} AS segment FROM ("
        f"SELECT row_ref, {current}, {stage} AS stage,"
        f" {quintile_sql(sql.timestamp('last_order_at'))} AS r,"
        f" {quintile_sql('order_count')} AS f,"
        f" {quintile_sql('spent')} AS m"
        f" FROM (SELECT c.*, CASE WHEN {scored} THEN 1 ELSE 0 END AS scored"
        f" FROM {source}) AS c) AS ranked) AS scores WHERE {changed}) AS s"
        # The organization again: the address is only trusted on this organization's rows.
        f" WHERE customer.{row} = s.row_ref AND customer.organization_id = {org}"
    )
    return query, sql.values


def scored_count_statement(dialect: str, organization_id: uuid.UUID) -> tuple[str, list[Any]]:
    """Customers with scores once the recompute has written them (in its transaction): the
    segment is set exactly for the scored ones. Read from the (organization, segment) index
    rather than by computing who was scored again (which, "as of", would mean aggregating the
    orders a second time)."""
    sql = _Sql(dialect)
    query = (
        "SELECT COUNT(*) AS n FROM customer"  # noqa: S608 - placeholders and constants only
        f" WHERE organization_id = {sql.param(organization_id)} AND rfm_segment IS NOT NULL"
    )
    return query, sql.values


# For this transaction only. Sorting a large organization's customers three times wants more
# than the default 4 MB, and compiling the statement (JIT) costs more than it saves on a plan
# this shape.
_PG_SETTINGS = "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"
# The join reaches changed rows by address (see `recompute_statement`); the planner, which
# cannot tell how few rows change, would otherwise scan the customers again to hash them even
# when nothing changes. Not "as of": that statement joins the orders' aggregate to the
# customers, which must stay a hash join (and costs far more than a second scan).
_PG_JOIN_BY_ADDRESS = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"


async def recompute(
    organization_id: uuid.UUID,
    now: dt.datetime,
    program: LoyaltyProgram,
    *,
    as_of: dt.datetime | None = None,
) -> tuple[int, int]:
    """Run the recompute for one organization: (rows changed, customers scored)."""
    async with atomic(CONNECTION) as conn:
        dialect = conn.capabilities.dialect
        if dialect == "postgres":
            await conn.execute_script(_PG_SETTINGS)
            if as_of is None:
                await conn.execute_script(_PG_JOIN_BY_ADDRESS)
        query, values = recompute_statement(dialect, organization_id, now, program, as_of=as_of)
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
