"""The admin API on a large base: sorted pages, dashboard counts and the points liability,
each next to the hand-written SQL that answers it, in the same run.

    .venv/bin/python bench/admin_api.py [--customers 1000000] [--orders-per-customer 1.0]
        [--rounds 5] [--duration 4] [--keep] [--reuse] [--cases "page 1" "page 50"]

PostgreSQL only (the issue's targets are for it). Not a test and never run on CI. It
1. creates the database --database (dropped at the end unless --keep; --reuse takes a kept one
   as it is), migrates it, bootstraps an organization and seeds --customers customers with
   orders, ledgers and segments (app/seed), then ANALYZEs;
2. starts `loyalty api` (uvicorn, one process, production settings) and the bare Starlette
   app of bench/raw_admin_app.py (the same figures from hand-written SQL through asyncpg),
   each on a free port;
3. checks that both give the same rows and figures, walks 49 pages to get the cursor of the
   50th page on each side, then measures each query on one keep-alive connection (requests
   back to back: the latency a staff member's browser sees), alternating which side goes first
   every round, and prints p50/p99 of both and the median of the per-round ratios, and the CPU
   time each server process spent per request (user + system, read from the OS around each
   run): a figure other load on the machine changes far less than latencies.

The pages are asked without `totalCount`: counting a million rows is the dashboard's job
(`customerStats`), asked once, not with every page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.staff_query import PG_ADMIN, create_postgres, drop_postgres  # noqa: E402

PAGE = """query Page($after: String) {
  customers(sortBy: {field: TOTAL_SPENT, direction: DESC}, first: 20, after: $after) {
    edges { cursor node { id firstName lastName email totalSpent } }
    pageInfo { hasNextPage endCursor }
  }
}"""
STATS = """query Stats($where: CustomerWhereInput) {
  customerStats(where: $where) {
    customers enrolled withOrder emailOptedIn
    byLifecycleStage { stage count } byRfmSegment { segment count }
    bySmsState { state count } byTier { count } byPersona { count }
  }
}"""
LIABILITY = """query Liability {
  pointsLiability { outstandingPoints value expiring { withinDays points } }
}"""
STAGE_FILTER = ["ACTIVE"]


async def prepare(
    url: str, customers: int, orders_per_customer: float, reuse: bool
) -> dict[str, str]:
    from tortoise import connections

    from app.auth.service import issue_token
    from app.db import close_db, init_db, migrate
    from app.models.organization import Organization
    from app.models.staff import Staff
    from app.organizations.service import bootstrap
    from app.seed.writer import seed_organization

    await migrate(url)
    await init_db(url)
    try:
        if reuse:
            org = await Organization.filter(name="Admin API bench").first()
            if org is None:
                raise RuntimeError("--reuse: no seeded organization in that database")
            owner = await Staff.get(organization_id=org.id)
            token = (await issue_token(owner, 24 * 3600)).token
            return {"organization_id": str(org.id), "token": token}
        result = await bootstrap(
            "Admin API bench",
            "bench-owner@example.com",
            "bench password 1234",
            default_region="US",
            timezone="UTC",
            token_ttl_seconds=24 * 3600,
        )
        started = time.perf_counter()
        await seed_organization(result.organization.id, customers, orders_per_customer, 1)
        harness.log(f"seeded {customers} customers in {time.perf_counter() - started:.0f} s")
        await connections.get("default").execute_script("ANALYZE")
        return {"organization_id": str(result.organization.id), "token": result.token}
    finally:
        await close_db()


def post(port: int, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - localhost
        answer: dict[str, Any] = json.loads(response.read())
    if "errors" in answer:
        raise RuntimeError(f"errors: {answer['errors']}")
    data: dict[str, Any] = answer["data"]
    return data


def bodies(after: dict[str, str | None]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per case, the service's GraphQL body and the raw app's body."""
    return {
        "page 1": {
            "service": {"query": PAGE, "variables": {}},
            "raw": {"op": "page", "variables": {}},
        },
        "page 50": {
            "service": {"query": PAGE, "variables": {"after": after["service"]}},
            "raw": {"op": "page", "variables": {"after": after["raw"]}},
        },
        "stats": {
            "service": {"query": STATS, "variables": {}},
            "raw": {"op": "stats", "variables": {}},
        },
        "stats, stage filter": {
            "service": {"query": STATS, "variables": {"where": {"lifecycleStages": STAGE_FILTER}}},
            "raw": {"op": "stats", "variables": {"stages": STAGE_FILTER}},
        },
        "liability": {
            "service": {"query": LIABILITY, "variables": {}},
            "raw": {"op": "liability", "variables": {}},
        },
    }


def cursor_of_page_50(port: int, token: str, make: Any) -> tuple[str, list[str]]:
    """Walks 49 pages; returns the cursor the 50th page starts after and its ids."""
    after = None
    for _ in range(49):
        page = post(port, token, make(after))["customers"]
        after = page["pageInfo"]["endCursor"]
    fiftieth = post(port, token, make(after))["customers"]
    assert after is not None
    return after, [e["node"]["id"] for e in fiftieth["edges"]]


def check_same(
    ports: dict[str, int], token: str, cases: dict[str, dict[str, dict[str, Any]]]
) -> None:
    first = {side: post(port, token, cases["page 1"][side]) for side, port in ports.items()}
    ids = {s: [e["node"]["id"] for e in d["customers"]["edges"]] for s, d in first.items()}
    if ids["service"] != ids["raw"] or len(ids["raw"]) != 20:
        raise RuntimeError("first pages differ")
    for case in ("stats", "stats, stage filter"):
        got = {s: post(p, token, cases[case][s])["customerStats"] for s, p in ports.items()}
        for key in ("customers", "enrolled", "withOrder", "emailOptedIn", "byLifecycleStage"):
            if got["service"][key] != got["raw"][key]:
                raise RuntimeError(f"{case}: {key} differs")
        if [t["count"] for t in got["service"]["byTier"]] != [
            t["count"] for t in got["raw"]["byTier"]
        ]:
            raise RuntimeError(f"{case}: tiers differ")
    owed = {s: post(p, token, cases["liability"][s])["pointsLiability"] for s, p in ports.items()}
    if owed["service"]["outstandingPoints"] != owed["raw"]["outstandingPoints"]:
        raise RuntimeError("liability differs")
    if [e["points"] for e in owed["service"]["expiring"]] != [
        e["points"] for e in owed["raw"]["expiring"]
    ]:
        raise RuntimeError("expiring points differ")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a server process and its children so far."""
    import psutil

    process = psutil.Process(pid)
    total = 0.0
    for each in (process, *process.children(recursive=True)):
        times = each.cpu_times()
        total += times.user + times.system
    return total


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", default="loyalty_bench_admin", help="PostgreSQL database")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", PG_ADMIN))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--reuse", action="store_true", help="use a kept, seeded database")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=list(bodies({"service": None, "raw": None})),
        help="measure only these cases (default: all); the checks of step 3 still run",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="admin-api-bench-"))
    if not args.reuse:
        asyncio.run(create_postgres(args.admin_url, args.database))
    database_url = f"{args.admin_url.rsplit('/', 1)[0]}/{args.database}"

    from app.embedded_redis import EmbeddedRedis

    redis = EmbeddedRedis(work / "redis")
    api = raw = None
    runs: dict[str, dict[str, list[harness.Run]]] = {}
    # Per case and side, the server's CPU milliseconds per request of each round.
    cpu_ms: dict[str, dict[str, list[float]]] = {}
    try:
        setup = asyncio.run(
            prepare(database_url, args.customers, args.orders_per_customer, args.reuse)
        )
        env = harness.service_env(database_url, redis.start(), work)
        raw_env = dict(env)
        raw_env.update(
            {
                "RAW_DSN": database_url.replace("postgres://", "postgresql://", 1),
                "RAW_ORG": setup["organization_id"],
                "RAW_TOKEN": setup["token"],
            }
        )
        ports, api, raw = harness.start_service_and_raw(
            env, raw_env, "bench.raw_admin_app:app", work
        )
        token = setup["token"]

        makers = {
            "service": lambda after: {"query": PAGE, "variables": {"after": after}},
            "raw": lambda after: {"op": "page", "variables": {"after": after}},
        }
        after: dict[str, str | None] = {}
        fiftieth: dict[str, list[str]] = {}
        for side, port in ports.items():
            after[side], fiftieth[side] = cursor_of_page_50(port, token, makers[side])
        if fiftieth["service"] != fiftieth["raw"]:
            raise RuntimeError("50th pages differ")
        cases = bodies(after)
        check_same(ports, token, cases)
        harness.log("both sides give the same pages 1 and 50, counts and liability")

        for case, sides in cases.items():
            if args.cases and case not in args.cases:
                continue
            requests = {
                side: harness.graphql_requests(
                    ports[side], token, [json.dumps(sides[side]).encode()]
                )
                for side in ports
            }
            for side in ports:
                harness.drive(ports[side], requests[side], 1.0, 1)
            runs[case] = {"service": [], "raw": []}
            cpu_ms[case] = {"service": [], "raw": []}
            pids = {"service": api.pid, "raw": raw.pid}
            for round_number in range(1, args.rounds + 1):
                for side in harness.round_order(round_number, ("service", "raw")):
                    cpu_before = cpu_seconds(pids[side])
                    run = harness.drive(ports[side], requests[side], args.duration, 1)
                    spent = cpu_seconds(pids[side]) - cpu_before
                    cpu_ms[case][side].append(1000 * spent / max(1.0, run.rps * args.duration))
                    runs[case][side].append(run)
                    harness.log(
                        f"{case:20s} round {round_number} {side:8s} p50 {run.p50_ms:8.2f} ms"
                        f"  p99 {run.p99_ms:8.2f} ms  errors {run.errors}"
                    )
    finally:
        for process in (api, raw):
            if process is not None:
                harness.stop(process)
        redis.stop()
        if not args.keep:
            asyncio.run(drop_postgres(args.admin_url, args.database))
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"admin API, PostgreSQL, {args.customers} customers, one connection,"
        f" {args.rounds} alternating rounds of {args.duration:g} s (medians)"
    )
    print(
        f"{'query':22s} {'service p50':>11s} {'p99':>8s} {'raw p50':>9s} {'p99':>8s}"
        f" {'raw/service':>12s} {'service/raw time':>17s} {'CPU ms/req service':>19s}"
        f" {'raw':>6s}"
    )
    summary: dict[str, Any] = {}
    for case, measured in runs.items():
        ours, base = harness.median_run(measured["service"]), harness.median_run(measured["raw"])
        pairs = [(o.rps, b.rps) for o, b in zip(measured["service"], measured["raw"], strict=True)]
        # service throughput / raw throughput per round: 1.0 is as fast as the raw SQL.
        ratio = harness.median_ratio(pairs)
        cpu = {side: statistics.median(cpu_ms[case][side]) for side in ("service", "raw")}
        print(
            f"{case:22s} {ours.p50_ms:11.2f} {ours.p99_ms:8.2f} {base.p50_ms:9.2f}"
            f" {base.p99_ms:8.2f} {ratio:12.2f} {1 / ratio:17.2f} {cpu['service']:19.2f}"
            f" {cpu['raw']:6.2f}"
        )
        summary[case] = {
            "service": ours.__dict__,
            "raw": base.__dict__,
            "ratio": round(ratio, 3),
            "cpu_ms_per_request": {side: round(value, 3) for side, value in cpu.items()},
        }
    print(json.dumps({"customers": args.customers, "cases": summary}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
