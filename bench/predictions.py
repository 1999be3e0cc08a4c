"""A prediction refit end to end against the bare aggregate and fit, measured in the same run.

    .venv/bin/python bench/predictions.py [--customers 1000000] [--orders-per-customer 5]
        [--rounds 1] [--database-url postgres://postgres@127.0.0.1:5432/loyalty_bench_predictions]

Not a test and never run on CI. It
1. creates (or reuses) the PostgreSQL database, migrates it and seeds the organization
   "Predictions bench" with `app.seed` (about 5 orders a customer over three years), without
   the segments recompute; a rerun with the same size reuses the rows, --reseed starts over.
2. times, in every round and alternating which goes first (the raw side first in round 1, so
   it pays for the cold cache; VACUUM, untimed, after the service's mass write):
   - service: `refit_predictions` as the refit job runs it: the per-customer aggregate of the
     orders into a temporary table, the BG/NBD fit on its distinct triples, the Gamma-Gamma
     fit, the calibration fit on the held-back period, scoring, and the UPDATE writing every
     customer's figures, then the model row, in one transaction;
   - raw: the same aggregate written by hand (distinct order days per customer, grouped again
     into (x, recency, age) triples with counts) through asyncpg, plus one `fit_bgnbd` on it.
3. checks in every round that the service scored as many customers as the raw aggregate
   counts and that both fits found the same parameters, and prints each round, the medians,
   the median of the per-round ratios (service / raw) and the process's peak resident memory
   (`resource.getrusage`, both sides included).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

ORG_NAME = "Predictions bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_predictions"
# The moment the synthetic histories end; the model is measured to it.
AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


async def prepare(customers: int, orders_per_customer: float, seed: int) -> uuid.UUID:
    org: uuid.UUID = await harness.seeded_organization(
        ORG_NAME, customers, orders_per_customer, seed, AS_OF
    )
    return org


def raw_triples(org: uuid.UUID) -> str:
    """(x, recency, age, customers) from the completed orders, by hand: distinct UTC order
    days per customer, then the customers grouped by their triple."""
    as_of_day = int(AS_OF.timestamp() // 86400)
    return (
        f"SELECT x, recency, age, count(*) AS n FROM (SELECT count(*) - 1 AS x,"
        f" max(day) - min(day) AS recency, {as_of_day} - min(day) AS age FROM"
        " (SELECT DISTINCT customer_id,"
        " (placed_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01' AS day"
        f" FROM customer_order WHERE organization_id = '{org}' AND status = 'COMPLETED'"
        f" AND placed_at <= '{AS_OF.isoformat()}' AND customer_id IS NOT NULL) d"
        " GROUP BY customer_id) c GROUP BY 1, 2, 3"
    )


def peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, org: uuid.UUID, rounds: int) -> None:
    import asyncpg
    import numpy as np

    from app.auth.principal import Principal
    from app.predictions import bgnbd
    from app.predictions.service import refit_predictions

    principal = Principal.system(org)
    raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    # The service sets work_mem and jit per transaction; the raw side gets the same.
    await raw.execute("SET work_mem = '64MB'; SET jit = off")

    async def service() -> Any:
        return await refit_predictions(principal, as_of=AS_OF)

    async def raw_fit() -> Any:
        rows = await raw.fetch(raw_triples(org))
        table = np.array([tuple(r) for r in rows], dtype=np.float64)
        fit = bgnbd.fit_bgnbd(table[:, 0], table[:, 1] / 7, table[:, 2] / 7, weights=table[:, 3])
        return fit, int(table[:, 3].sum())

    async def check(outcome: Any, raw_result: Any) -> None:
        """Both sides saw the same customers and fitted the same parameters."""
        fit, customers = raw_result
        if outcome.scored != customers or outcome.model.customers != customers:
            raise SystemExit(
                f"the service scored {outcome.scored:,} customers, the raw aggregate counts"
                f" {customers:,}: the benchmark is void"
            )
        fitted = outcome.model.parameters["bgnbd"]
        for name in ("r", "alpha", "a", "b"):
            if abs(fitted[name] - getattr(fit.params, name)) > 1e-3 * abs(fitted[name]):
                raise SystemExit(f"the fits disagree on {name}: the benchmark is void")
        harness.log(
            f"service and raw agree: {customers:,} customers, BG/NBD {fitted};"
            f" calibration {outcome.model.calibration}"
        )

    # No separate warm-up (a refit of a million customers takes minutes): the raw side runs
    # first in the first round, so it pays for the cold cache, and the rounds are checked.
    pairs: list[tuple[float, float]] = []
    for n in range(1, rounds + 1):
        seconds: dict[str, float] = {}
        results: dict[str, Any] = {}
        for side in harness.round_order(n + 1, ("service", "raw")):
            started = time.perf_counter()
            results[side] = await (service() if side == "service" else raw_fit())
            seconds[side] = time.perf_counter() - started
            if side == "service" and n < rounds:
                # Untimed: the next reader would pay for the dead row versions.
                await raw.execute("VACUUM customer")
        await check(results["service"], results["raw"])
        pairs.append((seconds["service"], seconds["raw"]))
        print(
            f"  round {n}: service {seconds['service']:.2f} s"
            f" {results['service'].timings} | raw {seconds['raw']:.2f} s"
            f" | ratio {seconds['service'] / seconds['raw']:.2f}",
            flush=True,
        )
    await raw.close()
    low, high = harness.ratio_range(pairs)
    print(
        f"refit: service median {statistics.median(s for s, _ in pairs):.2f} s,"
        f" raw median {statistics.median(r for _, r in pairs):.2f} s;"
        f" ratio (median of per-round ratios) {harness.median_ratio(pairs):.2f}"
        f" (rounds {low:.2f}-{high:.2f}); peak RSS {peak_rss_mb():.0f} MB"
    )


async def run(args: argparse.Namespace) -> None:
    from app.db import close_db, init_db, migrate

    url = args.database_url
    if url.startswith("sqlite"):
        raise SystemExit("this benchmark runs on PostgreSQL")
    await harness.ensure_database(url, args.reseed)
    await migrate(url)
    await init_db(url)
    try:
        org = await prepare(args.customers, args.orders_per_customer, args.seed)
        if args.seed_only:
            return
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            orders = await conn.fetchval(
                f"SELECT count(*) FROM customer_order WHERE organization_id = '{org}'"
            )
            customers = await conn.fetchval(
                f"SELECT count(*) FROM customer WHERE organization_id = '{org}'"
            )
            for table in ("customer", "customer_order"):
                await conn.execute(f"VACUUM ANALYZE {table}")
        finally:
            await conn.close()
        print(
            f"predictions benchmark: {customers:,} customers, {orders:,} orders; PostgreSQL,"
            f" {os.cpu_count()} CPUs, {args.rounds} rounds",
            flush=True,
        )
        await measure(url, org, args.rounds)
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.seeding_options(parser, customers=1_000_000, database_url=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed-only", action="store_true", help="seed, measure nothing")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
