"""Prediction queries: the purchase-history aggregate the models are fitted on, and the
set-based write of every customer's figures.

A refit runs in one transaction on one connection:

1. `aggregate_history` reads the organization's completed orders ONCE, grouped per customer
   into a temporary table `prediction_history`: purchases are distinct order days (UTC), so
   x = purchase days - 1 (repeat purchases), recency = days from the first to the last
   purchase day, age = days from the first purchase day to the as-of day, the mean value of the
   repeat purchase days, and the same three figures measured to the calibration cut-off with
   the purchase days after it (the held-back period).
2. The fits read that table grouped again, into identical triples with their counts as weights
   (`purchase_triples`, `calibration_triples`, `repeat_spend`): a few thousand rows whatever
   the number of customers.
3. The scores of each distinct triple (probability alive, expected purchases, churn band) go
   to a second temporary table (`store_scores`), and ONE UPDATE joins the customers to their
   history and their triple's scores (`write_figures`); expected spend is computed in that
   statement from the Gamma-Gamma parameters (its conditional mean is a closed form of x and
   the customer's mean). Customers a previous fit scored and this one did not are cleared.

PostgreSQL and SQLite run the same statements but for placeholders, the day number of a
timestamp, and how the score table is filled (one `unnest` of arrays on PostgreSQL, batched
inserts on SQLite). Every value is a bound parameter; only code constants are SQL text.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from tortoise.backends.base.client import BaseDBAsyncClient

from app.customers.repository.visibility import LIVE_STATUSES
from app.models.customer import Customer
from app.models.order import OrderStatus
from app.models.prediction import PredictionModel

CONNECTION = "default"
SECONDS_PER_DAY = 86400
# SQLite's julianday() of 1970-01-01T00:00Z: day numbers are counted from the Unix epoch.
_UNIX_EPOCH_JULIAN_DAY = 2440587.5
_SQLITE_BATCH = 500

F64 = npt.NDArray[np.float64]


def day_number(moment: dt.datetime) -> int:
    """The UTC day of a moment, counted from 1970-01-01 (the unit of the history table)."""
    return int(moment.timestamp() // SECONDS_PER_DAY)


class _Sql:
    """Placeholders and dialect fragments of one statement."""

    def __init__(self, conn: BaseDBAsyncClient) -> None:
        self.postgres = conn.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any, pg_type: str = "") -> str:
        if not self.postgres and isinstance(value, uuid.UUID):
            value = str(value)  # SQLite stores UUIDs as their text form.
        elif not self.postgres and isinstance(value, dt.datetime):
            value = value.isoformat(" ")
        self.values.append(value)
        if self.postgres:
            return f"${len(self.values)}{'::' + pg_type if pg_type else ''}"
        return f"?{len(self.values)}"

    def day_of(self, column: str) -> str:
        if self.postgres:
            return f"(({column} AT TIME ZONE 'UTC')::date - DATE '1970-01-01')"
        return f"CAST(julianday({column}) - {_UNIX_EPOCH_JULIAN_DAY} AS INTEGER)"

    def timestamp(self, expression: str) -> str:
        # SQLite keeps timestamps as ISO text with an offset; julianday() compares instants.
        return expression if self.postgres else f"julianday({expression})"

    @property
    def float_type(self) -> str:
        return "double precision" if self.postgres else "REAL"

    @property
    def id_type(self) -> str:
        return "uuid" if self.postgres else "CHAR(36)"

    def temp_table(self, name: str, columns: str) -> str:
        drop = " ON COMMIT DROP" if self.postgres else ""
        return f"CREATE TEMP TABLE {name} ({columns}){drop}"


async def earliest_first_order(organization_id: uuid.UUID) -> dt.datetime | None:
    """When the organization's first purchase was made (from the statistics kept on the
    customers, so the calibration cut-off is known before the orders are aggregated)."""
    rows = (
        await Customer.filter(organization_id=organization_id, first_order_at__isnull=False)
        .order_by("first_order_at")
        .limit(1)
        .values_list("first_order_at", flat=True)
    )
    return rows[0] if rows else None  # type: ignore[return-value]


async def drop_temporary_tables(conn: BaseDBAsyncClient) -> None:
    """SQLite keeps temporary tables for the connection's life; PostgreSQL drops them at
    commit. Called before and after a refit, so a failed one leaves nothing behind."""
    if conn.capabilities.dialect != "postgres":
        await conn.execute_script(
            "DROP TABLE IF EXISTS temp.prediction_history;"
            " DROP TABLE IF EXISTS temp.prediction_score;"
        )


async def aggregate_history(
    conn: BaseDBAsyncClient,
    organization_id: uuid.UUID,
    as_of: dt.datetime,
    cutoff_day: int | None,
) -> None:
    """One pass over the completed orders placed up to `as_of`: the per-customer history
    (see the module's docstring) in the temporary table `prediction_history`. Without a
    cut-off the calibration columns are NULL."""
    sql = _Sql(conn)
    org = sql.param(organization_id)
    as_of_day = sql.param(day_number(as_of), "int")
    cut = sql.param(cutoff_day if cutoff_day is not None else day_number(as_of) + 1, "int")
    query = (
        "INSERT INTO prediction_history"  # noqa: S608 - placeholders and constants only
        " SELECT customer_id, COUNT(*) - 1 AS x, MAX(day) - MIN(day) AS recency,"
        f" {as_of_day} - MIN(day) AS age,"
        " CASE WHEN COUNT(*) > 1 THEN"
        " (SUM(spent) - SUM(CASE WHEN day = first_day THEN spent ELSE 0 END)) / (COUNT(*) - 1)"
        " END AS monetary,"
        f" CASE WHEN MIN(day) < {cut} THEN SUM(CASE WHEN day < {cut} THEN 1 ELSE 0 END) - 1 END"
        " AS cal_x,"
        f" MAX(CASE WHEN day < {cut} THEN day END) - MIN(day) AS cal_recency,"
        f" CASE WHEN MIN(day) < {cut} THEN {cut} - MIN(day) END AS cal_age,"
        f" SUM(CASE WHEN day >= {cut} THEN 1 ELSE 0 END) AS holdout"
        " FROM (SELECT customer_id, day, SUM(total) AS spent,"
        " MIN(day) OVER (PARTITION BY customer_id) AS first_day"
        f" FROM (SELECT o.customer_id, {sql.day_of('o.placed_at')} AS day,"
        f" CAST(o.total AS {sql.float_type}) AS total"
        f" FROM customer_order o WHERE o.organization_id = {org}"
        f" AND o.status = {sql.param(OrderStatus.COMPLETED.value)}"
        f" AND {sql.timestamp('o.placed_at')} <= {sql.timestamp(sql.param(as_of))}"
        " AND o.customer_id IS NOT NULL) AS o"
        " GROUP BY customer_id, day) AS d GROUP BY customer_id"
    )
    # Utility statements take no parameters on PostgreSQL: the table first, then the rows.
    columns = (
        f"customer_id {sql.id_type}, x integer, recency integer, age integer,"
        f" monetary {sql.float_type}, cal_x integer, cal_recency integer, cal_age integer,"
        " holdout integer"
    )
    await conn.execute_script(sql.temp_table("prediction_history", columns))
    await conn.execute_query(query, sql.values)
    if sql.postgres:
        # Statistics for the join of `write_figures` (a temporary table has none).
        await conn.execute_script("ANALYZE prediction_history")


@dataclass(frozen=True)
class Triples:
    """Distinct (x, recency, age) triples in days, with how many customers share each."""

    frequency: F64
    recency_days: F64
    age_days: F64
    weights: F64
    # Repeat purchases in the held-back period (calibration triples only; summed per triple).
    holdout: F64 | None = None

    @property
    def customers(self) -> int:
        return int(self.weights.sum())

    @property
    def repeat_buyers(self) -> int:
        return int(self.weights[self.frequency > 0].sum())


def _columns(rows: Sequence[Any], count: int) -> list[F64]:
    if not rows:
        return [np.zeros(0, dtype=np.float64) for _ in range(count)]
    matrix = np.array([tuple(row) for row in rows], dtype=np.float64)
    return [matrix[:, i] for i in range(count)]


async def purchase_triples(conn: BaseDBAsyncClient) -> Triples:
    _, rows = await conn.execute_query(
        "SELECT x, recency, age, COUNT(*) FROM prediction_history GROUP BY x, recency, age"
    )
    x, recency, age, weights = _columns(rows, 4)
    return Triples(x, recency, age, weights)


async def calibration_triples(conn: BaseDBAsyncClient) -> Triples:
    """The customers who bought before the cut-off, as measured to it, with the purchase
    days they made in the held-back period: grouped by all four, so each row's holdout
    count is exact for every customer it stands for."""
    _, rows = await conn.execute_query(
        "SELECT cal_x, cal_recency, cal_age, holdout, COUNT(*) FROM prediction_history"
        " WHERE cal_age IS NOT NULL GROUP BY cal_x, cal_recency, cal_age, holdout"
    )
    x, recency, age, holdout, weights = _columns(rows, 5)
    return Triples(x, recency, age, weights, holdout)


async def repeat_spend(conn: BaseDBAsyncClient) -> tuple[F64, F64, F64]:
    """(x, mean value of the repeat purchase days, customers) of the repeat buyers, grouped
    by the pair to the cent."""
    sql = _Sql(conn)
    rounded = "ROUND(CAST(monetary AS numeric), 2)" if sql.postgres else "ROUND(monetary, 2)"
    _, rows = await conn.execute_query(
        f"SELECT x, {rounded} AS m, COUNT(*) FROM prediction_history"  # noqa: S608
        " WHERE x > 0 GROUP BY x, m"
    )
    x, monetary, weights = _columns(rows, 3)
    return x, monetary, weights


@dataclass(frozen=True)
class Scores:
    """The figures of each distinct triple of `Triples` (same order)."""

    probability_alive: F64
    expected_orders: F64
    # Expected purchases over the spend horizon, times each customer's expected order value.
    expected_purchases_for_spend: F64
    churn_risk: Sequence[str]


async def store_scores(conn: BaseDBAsyncClient, triples: Triples, scores: Scores) -> None:
    """The scores of every distinct triple in the temporary table `prediction_score`."""
    sql = _Sql(conn)
    columns = (
        f"x integer, recency integer, age integer, p_alive {sql.float_type},"
        f" orders {sql.float_type}, purchases {sql.float_type}, churn_risk varchar(8)"
    )
    await conn.execute_script(sql.temp_table("prediction_score", columns))
    data: list[list[Any]] = [
        [int(v) for v in triples.frequency],
        [int(v) for v in triples.recency_days],
        [int(v) for v in triples.age_days],
        [float(v) for v in scores.probability_alive],
        [float(v) for v in scores.expected_orders],
        [float(v) for v in scores.expected_purchases_for_spend],
        list(scores.churn_risk),
    ]
    if sql.postgres:
        types = ("int[]", "int[]", "int[]", "float8[]", "float8[]", "float8[]", "text[]")
        arrays = ", ".join(sql.param(column, t) for column, t in zip(data, types, strict=True))
        await conn.execute_query(
            f"INSERT INTO prediction_score SELECT * FROM unnest({arrays})",  # noqa: S608
            sql.values,
        )
        # Statistics for the join of `write_figures`: without them the planner guesses.
        await conn.execute_script("ANALYZE prediction_score")
        return
    rows = [list(row) for row in zip(*data, strict=True)]
    for start in range(0, len(rows), _SQLITE_BATCH):
        await conn.execute_many(
            "INSERT INTO prediction_score VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows[start : start + _SQLITE_BATCH],
        )


def _figure(sql: _Sql, expression: str, digits: int) -> str:
    """A float rounded to the stored decimal places (numeric on PostgreSQL)."""
    if sql.postgres:
        return f"ROUND(CAST({expression} AS numeric), {digits})"
    return f"ROUND({expression}, {digits})"


async def write_figures(
    conn: BaseDBAsyncClient,
    organization_id: uuid.UUID,
    fitted_at: dt.datetime,
    gamma_gamma: tuple[float, float, float],
) -> int:
    """Every scored customer's figures in one UPDATE; how many rows were written.

    Expected spend = expected purchases over the spend horizon × the Gamma-Gamma conditional
    mean order value, (p (v + x m)) / (p x + q - 1), with m the customer's mean repeat value
    (x = 0: the population mean p v / (q - 1))."""
    sql = _Sql(conn)
    p, q, v = (sql.param(float(value), "float8") for value in gamma_gamma)
    org = sql.param(organization_id)
    mean_value = f"({p} * ({v} + h.x * COALESCE(h.monetary, 0)) / ({p} * h.x + {q} - 1))"
    live = ", ".join(sql.param(status.value) for status in LIVE_STATUSES)
    query = (
        "UPDATE customer SET"  # noqa: S608 - placeholders and constants only
        f" predicted_probability_alive = {_figure(sql, 's.p_alive', 6)},"
        f" predicted_orders_90d = {_figure(sql, 's.orders', 4)},"
        f" predicted_spend_365d = {_figure(sql, f's.purchases * {mean_value}', 2)},"
        " churn_risk = s.churn_risk, prediction_frequency = h.x,"
        " prediction_recency_days = h.recency, prediction_age_days = h.age,"
        f" prediction_monetary_mean = {_figure(sql, 'h.monetary', 2)},"
        f" predicted_at = {sql.param(fitted_at)}"
        " FROM prediction_history h JOIN prediction_score s"
        " ON s.x = h.x AND s.recency = h.recency AND s.age = h.age"
        f" WHERE customer.id = h.customer_id AND customer.organization_id = {org}"
        f" AND customer.status IN ({live})"
    )
    written, _ = await conn.execute_query(query, sql.values)
    return int(written)


async def clear_figures(
    conn: BaseDBAsyncClient, organization_id: uuid.UUID, keep: dt.datetime | None
) -> int:
    """Clear the figures of the organization's customers not written by the fit of `keep`
    (all of them without one): customers who lost their purchases (refunds, an earlier as-of)
    or who left (merged, erased) keep no figures of an older model."""
    sql = _Sql(conn)
    condition = "predicted_at IS NOT NULL"
    if keep is not None:
        # The very value `write_figures` wrote (the same text on SQLite): exact equality.
        condition += f" AND predicted_at <> {sql.param(keep)}"
    columns = (
        "predicted_probability_alive",
        "predicted_orders_90d",
        "predicted_spend_365d",
        "churn_risk",
        "prediction_frequency",
        "prediction_recency_days",
        "prediction_age_days",
        "prediction_monetary_mean",
        "predicted_at",
    )
    assignments = ", ".join(f"{column} = NULL" for column in columns)
    cleared, _ = await conn.execute_query(
        f"UPDATE customer SET {assignments}"  # noqa: S608 - constants and placeholders only
        f" WHERE organization_id = {sql.param(organization_id)} AND {condition}",
        sql.values,
    )
    return int(cleared)


async def save_model(
    conn: BaseDBAsyncClient, organization_id: uuid.UUID, values: dict[str, Any]
) -> PredictionModel:
    """Replace the organization's model row (one per organization)."""
    found = (
        await PredictionModel.filter(organization_id=organization_id)
        .select_for_update()
        .using_db(conn)
        .first()
    )
    if found is None:
        return await PredictionModel.create(
            organization_id=organization_id, using_db=conn, **values
        )
    found.update_from_dict(values)
    await found.save(using_db=conn)
    return found


async def current_model(organization_id: uuid.UUID) -> PredictionModel | None:
    return await PredictionModel.filter(organization_id=organization_id).first()
