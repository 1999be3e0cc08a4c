"""Persona regeneration end to end against a raw baseline measured in the same run.

    .venv/bin/python bench/personas.py [--customers 1000000] [--orders-per-customer 5]
        [--database-url postgres://postgres@127.0.0.1:5432/loyalty_bench_personas]

Not a test and never run on CI. It
1. creates (or reuses) the database `loyalty_bench_personas`, migrates it, and seeds the
   organization "Personas bench" with `app.seed` (about 5 orders a customer, items with
   categories and tags, ledgers, referrals, birthdays; the birthday reward switched on). A rerun
   with the same size reuses the rows; --reseed starts over.
2. runs each measured phase in a fresh process (so each reports its own peak RSS): a warm-up of
   the baseline (not reported), then --rounds pairs of a baseline and a regeneration, the
   baseline first in odd rounds and second in even ones; every regeneration after the first is
   a refresh (identity matching against the previous set's
   assignments, pruning older ones), as the monthly refresh is.
   - baseline: the raw way to do the same job by hand. ONE SQL aggregate over the same orders,
     their items and ledger (`app.personas.repository.features.feature_statement`: one row
     per customer, same columns, streamed with the same binary COPY decoder) given the
     vocabulary up front, then log1p + StandardScaler + scikit-learn MiniBatchKMeans (k = 5,
     the planted number) fit and predict, single-threaded like the regeneration's clustering.
     No vocabulary
     discovery, no k selection, no explanation, nothing written.
   - regeneration: `request_regeneration` + `run_generation` as the worker runs them: the
     eligibility checks, vocabulary, the same aggregate, design matrix, k chosen by silhouette
     on a sample within 3..8, Lloyd refinement over everyone, explanation, identity matching,
     writing personas, a million assignments (binary COPY) and roadmap items, switching the
     current set, pruning old assignments.
3. prints both times per round, their ratio, the stages of the regeneration, the medians, the
   median of the per-round ratios (the figure to quote: each ratio pairs two runs made under the
   same load of a shared machine) and the regeneration's peak RSS.

Targets (from the issue): ratio <= 1.5 and peak RSS <= 1.5 GB for a million customers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

ORG_NAME = "Personas bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_personas"
# The moment the synthetic histories end, and personas are measured from.
AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
BASELINE_K = 5


def peak_rss_mb() -> float:
    """Peak resident set size of this process. VmHWM, because ru_maxrss survives exec on Linux
    and would report the parent's peak (the seeding) for a fresh phase process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def prepare(url: str, customers: int, orders_per_customer: float, seed: int) -> str:
    from app.db import close_db, init_db, migrate
    from app.models.customer import Customer
    from app.models.organization import Organization
    from app.seed.writer import seed_organization

    await migrate(url)
    await init_db(url)
    try:
        org = await Organization.get_or_none(name=ORG_NAME)
        if org is None:
            org = await Organization.create(
                name=ORG_NAME, settings={"program": {"birthday_reward_enabled": True}}
            )
        have = await Customer.filter(organization_id=org.id).count()
        if have > customers:
            raise SystemExit(f"the bench organization has {have} customers: use --reseed")
        if have < customers:
            started = time.perf_counter()
            summary = await seed_organization(
                org.id,
                customers - have,
                orders_per_customer,
                seed,
                now=AS_OF,
                segments=False,
            )
            print(
                f"seeded {summary.customers:,} customers, {summary.orders:,} orders,"
                f" {summary.items:,} items, {summary.ledger_entries:,} ledger entries"
                f" in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        return str(org.id)
    finally:
        await close_db()


async def sizes(url: str, org_id: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        org = uuid.UUID(org_id)
        out = {}
        for name, query in (
            ("customers", "SELECT count(*) FROM customer WHERE organization_id = $1"),
            ("orders", "SELECT count(*) FROM customer_order WHERE organization_id = $1"),
            (
                "items",
                "SELECT count(*) FROM order_item i JOIN customer_order o ON o.id = i.order_id"
                " WHERE o.organization_id = $1",
            ),
            ("ledger", "SELECT count(*) FROM ledger_entry WHERE organization_id = $1"),
        ):
            out[name] = int(await conn.fetchval(query, org))
        return out
    finally:
        await conn.close()


# --- phases (each in its own process) ---------------------------------------------------------


async def phase_baseline(url: str, org_id: str) -> dict[str, Any]:
    import numpy as np
    from sklearn.cluster import MiniBatchKMeans
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits
    from tortoise.transactions import in_transaction

    from app.db import close_db, init_db
    from app.personas.features import load_features, load_vocabulary

    await init_db(url)
    try:
        org = uuid.UUID(org_id)
        vocabulary = await load_vocabulary(org)  # handed to the baseline: not timed
        started = time.perf_counter()
        async with in_transaction() as conn:
            await conn.execute_script("SET LOCAL work_mem = '256MB'")
            features = await load_features(org, AS_OF, vocabulary, conn=conn)
        sql_seconds = time.perf_counter() - started

        def fit() -> Any:
            x = np.nan_to_num(features.values, nan=0.0)
            np.maximum(x, 0, out=x)
            np.log1p(x, out=x)
            x = StandardScaler(copy=False).fit_transform(x)
            model = MiniBatchKMeans(n_clusters=BASELINE_K, random_state=1, n_init=3)
            return model.fit(x).predict(x)

        def single_threaded() -> Any:
            # The regeneration clusters single-threaded too (see app.personas.model.cluster).
            with threadpool_limits(limits=1):
                return fit()

        labels = await asyncio.to_thread(single_threaded)
        seconds = time.perf_counter() - started
        return {
            "seconds": round(seconds, 2),
            "sql_seconds": round(sql_seconds, 2),
            "customers": len(labels),
            "peak_rss_mb": round(peak_rss_mb()),
        }
    finally:
        await close_db()


async def phase_regenerate(url: str, org_id: str) -> dict[str, Any]:
    from app.auth.principal import Principal
    from app.db import close_db, init_db
    from app.models.persona import Persona
    from app.personas import service

    await init_db(url)
    try:
        org = uuid.UUID(org_id)
        started = time.perf_counter()
        requested = await service.request_regeneration(Principal.system(org), force=True)
        done = await service.run_generation(Principal.system(org), requested.id, as_of=AS_OF)
        seconds = time.perf_counter() - started
        assert done is not None, "the set vanished"
        details = done.details or {}
        personas = await Persona.filter(persona_set_id=done.id).order_by("position")
        return {
            "seconds": round(seconds, 2),
            "status": done.status.value,
            "error": done.error_code,
            "customers": done.customer_count,
            "k": details.get("k"),
            "silhouette": details.get("silhouette"),
            "timings": details.get("timings"),
            "inherited": sum(1 for i in details.get("identities", []) if i.get("inherited")),
            "personas": [(p.name, p.size) for p in personas],
            "peak_rss_mb": round(peak_rss_mb()),
        }
    finally:
        await close_db()


def run_phase(phase: str, url: str, org_id: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--org", org_id, "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    harness.seeding_options(parser, customers=1_000_000, database_url=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=3, help="baseline/regeneration pairs")
    parser.add_argument("--phase", choices=("baseline", "regenerate"), help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url

    if args.phase:
        body = phase_baseline if args.phase == "baseline" else phase_regenerate
        print(json.dumps(asyncio.run(body(url, args.org))))
        return

    asyncio.run(harness.ensure_database(url, args.reseed))
    org_id = asyncio.run(prepare(url, args.customers, args.orders_per_customer, args.seed))
    counts = asyncio.run(sizes(url, org_id))
    print(
        f"personas benchmark: {counts['customers']:,} customers, {counts['orders']:,} orders,"
        f" {counts['items']:,} items, {counts['ledger']:,} ledger entries;"
        f" PostgreSQL, {os.cpu_count()} CPUs",
        flush=True,
    )
    run_phase("baseline", url, org_id)  # warm-up: caches, not reported
    rounds: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for round_number in range(1, args.rounds + 1):
        done = {
            phase: run_phase(phase, url, org_id)
            for phase in harness.round_order(round_number, ("baseline", "regenerate"))
        }
        rounds.append((done["baseline"], done["regenerate"]))

    print(
        f"baseline = one SQL aggregate + MiniBatchKMeans (k={BASELINE_K});"
        " regeneration = request + run_generation, end to end (from the 2nd on, a refresh"
        " with identity matching against the previous set)"
    )
    for n, (baseline, regeneration) in enumerate(rounds, 1):
        timings = regeneration["timings"] or {}
        print(
            f"  round {n}: baseline {baseline['seconds']:6.2f} s"
            f" (SQL {baseline['sql_seconds']:.2f} s, peak RSS {baseline['peak_rss_mb']} MB)"
            f" | regeneration {regeneration['seconds']:6.2f} s"
            f" (peak RSS {regeneration['peak_rss_mb']} MB) | ratio"
            f" {regeneration['seconds'] / baseline['seconds']:.2f} | stages "
            + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
        )
    baseline_median = statistics.median(b["seconds"] for b, _ in rounds)
    regeneration_median = statistics.median(r["seconds"] for _, r in rounds)
    peak = max(r["peak_rss_mb"] for _, r in rounds)
    last = rounds[-1][1]
    # Times, so the ratio is regeneration / baseline (lower is better), per round.
    ratio = harness.median_ratio([(r["seconds"], b["seconds"]) for b, r in rounds])
    print(
        f"median: baseline {baseline_median:.2f} s, regeneration {regeneration_median:.2f} s;"
        f" ratio (median of per-round ratios) {ratio:.2f}; regeneration peak RSS {peak} MB"
    )
    print(
        f"  {last['status']}, k={last['k']}, silhouette {last['silhouette']},"
        f" identities inherited from the previous set: {last['inherited']}"
    )
    print("  personas:", ", ".join(f"{n} ({s:,})" for n, s in last["personas"]))


if __name__ == "__main__":
    main()
