"""The lifecycle and RFM recompute against raw window-function SQL measured in the same run.

    .venv/bin/python bench/lifecycle.py [--customers 200000] [--orders-per-customer 5]
        [--rounds 5] [--database-url postgres://postgres@127.0.0.1:5432/loyalty_bench_lifecycle]

Not a test and never run on CI. It
1. creates (or reuses) the database, migrates it and seeds the organization "Lifecycle bench"
   with `app.seed` (about 5 orders a customer: 200k customers, ~1M orders by default), without
   the recompute the seeder would run; a rerun with the same size reuses the rows, --reseed
   starts over.
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


async def prepare(url: str, customers: int, orders_per_customer: float, seed: int) -> uuid.UUID:
    from app.models.customer import Customer
    from app.models.organization import Organization
    from app.seed.writer import seed_organization

    org = await Organization.get_or_none(name=ORG_NAME)
    if org is None:
        org = await Organization.create(name=ORG_NAME)
    have = await Customer.filter(organization_id=org.id).count()
    if have > customers:
        raise SystemExit(f"the bench organization has {have} customers: use --reseed")
    if have < customers:
        started = time.perf_counter()
        summary = await seed_organization(
            org.id, customers - have, orders_per_customer, seed, now=AS_OF, segments=False
        )
        harness.log(
            f"seeded {summary.customers:,} customers, {summary.orders:,} orders"
            f" in {time.perf_counter() - started:.0f} s"
        )
    return org.id


# --- the raw side: hand-written SQL, literals inline, asyncpg ------------------------------


def _raw_source(org: uuid.UUID, from_orders: bool) -> str:
    if not from_orders:
        return (
            "SELECT id, status, order_count, last_order_at, total_spent"
            f" FROM customer WHERE organization_id = '{org}'"
        )
    return (
        "SELECT c.id, c.status, COALESCE(o.n, 0) AS order_count, o.last_at AS last_order_at,"
        " COALESCE(o.spent, 0) AS total_spent FROM customer c LEFT JOIN"
        " (SELECT customer_id, count(*) AS n, max(placed_at) AS last_at, sum(total) AS spent"
        f" FROM customer_order WHERE organization_id = '{org}' AND status = 'COMPLETED'"
        f" AND placed_at <= '{AS_OF.isoformat()}' AND customer_id IS NOT NULL"
        f" GROUP BY customer_id) o ON o.customer_id = c.id WHERE c.organization_id = '{org}'"
    )


def raw_scores(org: uuid.UUID, from_orders: bool) -> str:
    """id, stage, r, f, m of every customer: what an analyst would write by hand."""
    at_risk = (AS_OF - dt.timedelta(days=180)).isoformat()
    lost = (AS_OF - dt.timedelta(days=365)).isoformat()

    def score(key: str) -> str:
        return (
            "CASE WHEN scored THEN 1 + 5 * (rank() OVER (PARTITION BY scored ORDER BY"
            f" {key}) - 1) / count(*) OVER (PARTITION BY scored) END"
        )

    return (
        "SELECT id, CASE WHEN order_count <= 0 OR last_order_at IS NULL THEN 'MEMBER'"
        f" WHEN last_order_at < '{lost}' THEN 'LOST'"
        f" WHEN last_order_at < '{at_risk}' THEN 'AT_RISK'"
        " WHEN order_count = 1 THEN 'ONE_TIME_BUYER' ELSE 'ACTIVE' END AS stage,"
        f" {score('last_order_at')} AS r, {score('order_count')} AS f,"
        f" {score('total_spent')} AS m"
        " FROM (SELECT *, status IN ('ACTIVE', 'ARCHIVED') AND order_count > 0"
        f" AND last_order_at IS NOT NULL AS scored FROM ({_raw_source(org, from_orders)}) c) c"
    )


def raw_counts(org: uuid.UUID, from_orders: bool) -> str:
    return (
        f"SELECT stage, r, f, m, count(*) AS n FROM ({raw_scores(org, from_orders)}) s"
        " GROUP BY stage, r, f, m"
    )


def raw_update(org: uuid.UUID) -> str:
    from app.lifecycle.rules import segment_keys

    segment = " ".join(f"WHEN {key} THEN '{seg.value}'" for key, seg in segment_keys().items())
    return (
        "UPDATE customer c SET lifecycle_stage = s.stage, rfm_recency = s.r,"
        " rfm_frequency = s.f, rfm_monetary = s.m,"
        f" rfm_segment = CASE s.r * 10 + (s.f + s.m + 1) / 2 {segment} END"
        f" FROM ({raw_scores(org, False)}) s WHERE c.id = s.id"
    )


STORED_COUNTS = (
    "SELECT lifecycle_stage AS stage, rfm_recency AS r, rfm_frequency AS f, rfm_monetary AS m,"
    " count(*) AS n FROM customer WHERE organization_id = $1 GROUP BY 1, 2, 3, 4"
)
CLEAR = (
    "UPDATE customer SET lifecycle_stage = 'MEMBER', rfm_recency = NULL, rfm_frequency = NULL,"
    " rfm_monetary = NULL, rfm_segment = NULL WHERE organization_id = $1"
)


def counts_of(rows: list[Any]) -> dict[tuple[Any, ...], int]:
    return {(r["stage"], r["r"], r["f"], r["m"]): int(r["n"]) for r in rows}


# --- measuring --------------------------------------------------------------------------------


async def timed(body: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await body()
    return time.perf_counter() - started, result


async def measure(url: str, org: uuid.UUID, rounds: int) -> None:
    import asyncpg

    from app.auth.principal import Principal
    from app.lifecycle.service import recompute_segments

    principal = Principal.system(org)
    raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    # The service sets work_mem per transaction; the raw side gets the same for fairness.
    await raw.execute("SET work_mem = '64MB'")

    async def service_now() -> Any:
        return await recompute_segments(principal, now=AS_OF)

    async def service_as_of() -> Any:
        return await recompute_segments(principal, as_of=AS_OF)

    async def raw_select(from_orders: bool) -> Any:
        return counts_of(await raw.fetch(raw_counts(org, from_orders)))

    async def raw_write() -> Any:
        async with raw.transaction():
            return await raw.execute(raw_update(org))

    # Warm-up (caches, first write), and the check that both sides compute the same.
    await service_now()
    stored = counts_of(await raw.fetch(STORED_COUNTS, org))
    if stored != await raw_select(False) or stored != await raw_select(True):
        raise SystemExit("the raw SELECT and the service disagree: the benchmark is void")
    harness.log("service and raw SQL agree on every (stage, R, F, M) count")

    async def vacuum() -> None:
        # Untimed: a mass write leaves a dead version of every row and unset hint bits, which
        # the next reader would pay for, whichever side it is.
        await raw.execute("VACUUM customer")

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
                    await raw.execute(CLEAR, org)
                    await vacuum()
                seconds[side], result = await timed(bodies[side])
                if side == "service" and key != "full":
                    assert result.changed == 0, result
            if key == "full":
                await vacuum()
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
    await harness.ensure_database(url, args.reseed)
    await migrate(url)
    await init_db(url)
    try:
        org = await prepare(url, args.customers, args.orders_per_customer, args.seed)
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            customers = await conn.fetchval(
                "SELECT count(*) FROM customer WHERE organization_id = $1", org
            )
            orders = await conn.fetchval(
                "SELECT count(*) FROM customer_order WHERE organization_id = $1", org
            )
            await conn.execute("VACUUM ANALYZE customer")
            await conn.execute("VACUUM ANALYZE customer_order")
        finally:
            await conn.close()
        print(
            f"lifecycle benchmark: {customers:,} customers, {orders:,} orders;"
            f" PostgreSQL, {os.cpu_count()} CPUs, {args.rounds} rounds",
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
