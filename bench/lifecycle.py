"""The lifecycle and RFM recompute against raw window-function SQL measured in the same run.

    .venv/bin/python bench/lifecycle.py [--customers 200000] [--orders-per-customer 5]
        [--rounds 3] [--database-url postgres://postgres@127.0.0.1:5432/loyalty_bench_lifecycle]
    .venv/bin/python bench/lifecycle.py --database-url sqlite:////tmp/lifecycle-bench.sqlite3

Not a test and never run on CI. It
1. creates (or reuses) the database (PostgreSQL, or a SQLite file), migrates it and seeds the
   organization "Lifecycle bench" with `app.seed` (about 5 orders a customer: 200k customers,
   ~1M orders by default), without the recompute the seeder would run; a rerun with the same
   size reuses the rows, --reseed starts over.
2. times three pairs, each pair in every round, the two sides alternating which goes first
   (VACUUM, untimed, after every mass write, so neither side pays for the other's dead rows):
   - nightly: `recompute_segments` as the refresh job runs it (stages and scores from the
     statistics kept on each customer, nothing changed since the last run) next to a raw
     SELECT computing the same stages and scores with the same window functions
     (RANK()/COUNT(*) OVER the scored customers), grouped into counts so all of it is
     evaluated and little is sent back;
   - full: the same recompute when every customer's stage and scores must be written (as
     after seeding or a first import; they are cleared, untimed, before each side) next to a
     raw UPDATE ... FROM of the same window-function SELECT, without the service's "only rows
     that change" filter;
   - as of: `recompute_segments(as_of=...)` (statistics aggregated from the orders placed up
     to the moment, nothing to write) next to the raw SELECT over the same aggregate.
3. checks that the counts the raw SELECTs give equal what the service stored, and prints each
   round, the medians and the median of the per-round ratios (service / raw; the figure to
   quote on a shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

ORG_NAME = "Lifecycle bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_lifecycle"
# The moment the synthetic histories end; stages are measured to it.
AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


async def prepare(customers: int, orders_per_customer: float, seed: int) -> uuid.UUID:
    org: uuid.UUID = await harness.seeded_organization(
        ORG_NAME, customers, orders_per_customer, seed, AS_OF
    )
    return org


# --- the raw side: hand-written SQL, literals inline, the database's own driver -------------


class Dialect:
    """What the hand-written SQL says differently on PostgreSQL and SQLite."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres

    def ts(self, expression: str) -> str:
        return expression if self.postgres else f"julianday({expression})"

    def moment(self, value: dt.datetime) -> str:
        return self.ts(f"'{value.isoformat()}'")

    def money(self, expression: str) -> str:
        # Exact on SQLite too (its numbers are floats): whole cents.
        return expression if self.postgres else f"CAST(ROUND({expression} * 100) AS INTEGER)"


def _raw_source(sql: Dialect, org: uuid.UUID, from_orders: bool) -> str:
    if not from_orders:
        return (
            "SELECT id, status, order_count, last_order_at, total_spent"
            f" FROM customer WHERE organization_id = '{org}'"
        )
    return (
        "SELECT c.id, c.status, COALESCE(o.n, 0) AS order_count, o.last_at AS last_order_at,"
        " COALESCE(o.spent, 0) AS total_spent FROM customer c LEFT JOIN"
        f" (SELECT customer_id, count(*) AS n, max({sql.ts('placed_at')}) AS last_at,"
        f" sum({sql.money('total')}) AS spent"
        f" FROM customer_order WHERE organization_id = '{org}' AND status = 'COMPLETED'"
        f" AND {sql.ts('placed_at')} <= {sql.moment(AS_OF)} AND customer_id IS NOT NULL"
        f" GROUP BY customer_id) o ON o.customer_id = c.id WHERE c.organization_id = '{org}'"
    )


def raw_scores(sql: Dialect, org: uuid.UUID, from_orders: bool) -> str:
    """id, stage, r, f, m of every customer: what an analyst would write by hand."""
    at_risk = sql.moment(AS_OF - dt.timedelta(days=180))
    lost = sql.moment(AS_OF - dt.timedelta(days=365))
    last = sql.ts("last_order_at")

    def score(key: str) -> str:
        return (
            "CASE WHEN scored THEN 1 + 5 * (rank() OVER (PARTITION BY scored ORDER BY"
            f" {key}) - 1) / count(*) OVER (PARTITION BY scored) END"
        )

    return (
        "SELECT id, CASE WHEN order_count <= 0 OR last_order_at IS NULL THEN 'MEMBER'"
        f" WHEN {last} < {lost} THEN 'LOST' WHEN {last} < {at_risk} THEN 'AT_RISK'"
        " WHEN order_count = 1 THEN 'ONE_TIME_BUYER' ELSE 'ACTIVE' END AS stage,"
        f" {score(last)} AS r, {score('order_count')} AS f,"
        f" {score(sql.money('total_spent'))} AS m"
        " FROM (SELECT *, status IN ('ACTIVE', 'ARCHIVED') AND order_count > 0"
        " AND last_order_at IS NOT NULL AS scored"
        f" FROM ({_raw_source(sql, org, from_orders)}) c) c"
    )


def raw_counts(sql: Dialect, org: uuid.UUID, from_orders: bool) -> str:
    return (
        f"SELECT stage, r, f, m, count(*) AS n FROM ({raw_scores(sql, org, from_orders)}) s"
        " GROUP BY stage, r, f, m"
    )


def raw_update(sql: Dialect, org: uuid.UUID) -> str:
    from app.lifecycle.rules import segment_keys

    segment = " ".join(f"WHEN {key} THEN '{seg.value}'" for key, seg in segment_keys().items())
    return (
        "UPDATE customer AS c SET lifecycle_stage = s.stage, rfm_recency = s.r,"
        " rfm_frequency = s.f, rfm_monetary = s.m,"
        f" rfm_segment = CASE s.r * 10 + (s.f + s.m + 1) / 2 {segment} END"
        f" FROM ({raw_scores(sql, org, False)}) s WHERE c.id = s.id"
    )


def stored_counts(org: uuid.UUID) -> str:
    return (
        "SELECT lifecycle_stage AS stage, rfm_recency AS r, rfm_frequency AS f,"
        " rfm_monetary AS m, count(*) AS n FROM customer"
        f" WHERE organization_id = '{org}' GROUP BY 1, 2, 3, 4"
    )


def clear(org: uuid.UUID) -> str:
    return (
        "UPDATE customer SET lifecycle_stage = 'MEMBER', rfm_recency = NULL,"
        " rfm_frequency = NULL, rfm_monetary = NULL, rfm_segment = NULL"
        f" WHERE organization_id = '{org}'"
    )


def counts_of(rows: list[Any]) -> dict[tuple[Any, ...], int]:
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}


class Raw:
    """A connection of the database's own driver (asyncpg, or the sqlite3 module)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sql = Dialect(postgres=not url.startswith("sqlite"))
        self.pg: Any = None
        self.lite: Any = None

    async def open(self) -> None:
        if self.sql.postgres:
            import asyncpg

            self.pg = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1))
            # The service sets work_mem per transaction; the raw side gets the same.
            await self.pg.execute("SET work_mem = '64MB'")
        else:
            import sqlite3

            self.lite = sqlite3.connect(self.url.split("://", 1)[1], isolation_level=None)

    async def fetch(self, query: str) -> list[Any]:
        if self.pg is not None:
            return list(await self.pg.fetch(query))
        return self.lite.execute(query).fetchall()  # type: ignore[no-any-return]

    async def execute(self, query: str) -> None:
        if self.pg is not None:
            await self.pg.execute(query)
        else:
            self.lite.execute(query)

    async def vacuum(self) -> None:
        # Untimed: a mass write leaves a dead version of every row and unset hint bits on
        # PostgreSQL, which the next reader would pay for, whichever side it is.
        if self.pg is not None:
            await self.pg.execute("VACUUM customer")

    async def close(self) -> None:
        if self.pg is not None:
            await self.pg.close()
        else:
            self.lite.close()


# --- measuring --------------------------------------------------------------------------------


async def timed(body: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await body()
    return time.perf_counter() - started, result


async def measure(url: str, org: uuid.UUID, rounds: int) -> None:
    from app.auth.principal import Principal
    from app.lifecycle.service import recompute_segments

    principal = Principal.system(org)
    raw = Raw(url)
    await raw.open()
    sql = raw.sql

    async def service_now() -> Any:
        return await recompute_segments(principal, now=AS_OF)

    async def service_as_of() -> Any:
        return await recompute_segments(principal, as_of=AS_OF)

    async def raw_select(from_orders: bool) -> Any:
        return counts_of(await raw.fetch(raw_counts(sql, org, from_orders)))

    async def raw_write() -> Any:
        await raw.execute("BEGIN")
        await raw.execute(raw_update(sql, org))
        await raw.execute("COMMIT")

    # Warm-up (caches, first write), and the check that both sides compute the same.
    await service_now()
    stored = counts_of(await raw.fetch(stored_counts(org)))
    if stored != await raw_select(False) or stored != await raw_select(True):
        raise SystemExit("the raw SELECT and the service disagree: the benchmark is void")
    harness.log("service and raw SQL agree on every (stage, R, F, M) count")

    sides: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {
        "nightly": {"service": service_now, "raw": lambda: raw_select(False)},
        "as of": {"service": service_as_of, "raw": lambda: raw_select(True)},
        "full": {"service": service_now, "raw": raw_write},
    }
    pairs: dict[str, list[tuple[float, float]]] = {key: [] for key in sides}
    for n in range(1, rounds + 1):
        line = []
        for key, bodies in sides.items():
            seconds: dict[str, float] = {}
            for side in harness.round_order(n, ("service", "raw")):
                if key == "full":
                    await raw.execute(clear(org))
                    await raw.vacuum()
                seconds[side], result = await timed(bodies[side])
                if side == "service" and key != "full":
                    assert result.changed == 0, result
            if key == "full":
                await raw.vacuum()
            pairs[key].append((seconds["service"], seconds["raw"]))
            line.append(
                f"{key} service {seconds['service']:.2f} s raw {seconds['raw']:.2f} s"
                f" ratio {seconds['service'] / seconds['raw']:.2f}"
            )
        print(f"  round {n}: " + " | ".join(line), flush=True)
    # Leave the organization as the service wrote it.
    await service_now()
    await raw.close()
    for key, measured in pairs.items():
        low, high = harness.ratio_range(measured)
        print(
            f"{key}: service median {statistics.median(s for s, _ in measured):.2f} s,"
            f" raw median {statistics.median(r for _, r in measured):.2f} s;"
            f" ratio (median of per-round ratios) {harness.median_ratio(measured):.2f}"
            f" (rounds {low:.2f}-{high:.2f})"
        )


async def run(args: argparse.Namespace) -> None:
    from app.db import close_db, init_db, migrate

    url = args.database_url
    sqlite = url.startswith("sqlite")
    if sqlite:
        if args.reseed:
            Path(url.split("://", 1)[1]).unlink(missing_ok=True)  # noqa: ASYNC240 - before any work
    else:
        await harness.ensure_database(url, args.reseed)
    await migrate(url)
    await init_db(url)
    try:
        org = await prepare(args.customers, args.orders_per_customer, args.seed)
        raw = Raw(url)
        await raw.open()
        try:
            (customers,) = (
                await raw.fetch(f"SELECT count(*) FROM customer WHERE organization_id = '{org}'")
            )[0]
            (orders,) = (
                await raw.fetch(
                    f"SELECT count(*) FROM customer_order WHERE organization_id = '{org}'"
                )
            )[0]
            for table in ("customer", "customer_order"):
                await raw.execute(f"ANALYZE {table}")
            await raw.vacuum()
        finally:
            await raw.close()
        print(
            f"lifecycle benchmark: {customers:,} customers, {orders:,} orders;"
            f" {'SQLite' if sqlite else 'PostgreSQL'}, {os.cpu_count()} CPUs,"
            f" {args.rounds} rounds",
            flush=True,
        )
        await measure(url, org, args.rounds)
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.seeding_options(parser, customers=200_000, database_url=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
