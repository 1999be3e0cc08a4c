"""A repeated small staff query over HTTP: the service against a raw baseline in the same run.

    .venv/bin/python bench/staff_query.py [--db sqlite|postgres] [--customers 2000]
        [--rounds 5] [--duration 5] [--connections 8]

The query an admin frontend sends again and again, with a staff session token:
`query Customer($id: ID!) { customer(id: $id) { id firstName lastName email } }`. Its parsing
and validation are cached (ParserCache, ValidationCache), so what is measured is the cost of
everything around one indexed SELECT: authentication, Strawberry's execution, the ORM.

Not a test and never run on CI. It
1. creates a database (SQLite in a temporary directory, or the PostgreSQL database --database,
   dropped at the end unless --keep), migrates it, bootstraps an organization and seeds it with
   --customers customers; the owner's session token is the credential;
2. starts `loyalty api` (uvicorn, one process, LOYALTY_ENV=production, its own embedded Redis)
   and the bare Starlette app of bench/raw_staff_app.py (the same SELECT through asyncpg or
   aiosqlite), each on a free port;
3. checks that both give the same answer for a sample of customers, then loads each in turn
   with --connections keep-alive connections from this process, alternating which goes first
   every round, and prints requests/s and latencies of both and the median of the per-round
   ratios (service / raw).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

QUERY = "query Customer($id: ID!) { customer(id: $id) { id firstName lastName email } }"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


async def create_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 LC_COLLATE "C"')
    finally:
        await admin.close()


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def prepare(database_url: str, customers: int, sample: int) -> dict[str, Any]:
    """Organization, seeded customers, the owner's token and a sample of customer ids."""
    from app.db import close_db, init_db, migrate
    from app.models.customer import Customer, CustomerStatus
    from app.organizations.service import bootstrap
    from app.seed.writer import seed_organization

    await migrate(database_url)
    await init_db(database_url)
    try:
        result = await bootstrap(
            "Staff query bench",
            "bench-owner@example.com",
            "bench password 1234",
            default_region="US",
            timezone="UTC",
            token_ttl_seconds=24 * 3600,
        )
        org = result.organization
        await seed_organization(org.id, customers, 1.0, 1, segments=False)
        ids = await Customer.filter(
            organization_id=org.id, status=CustomerStatus.ACTIVE
        ).values_list("id", flat=True)
        chosen = random.Random(1).sample(list(ids), min(sample, len(ids)))
        fields = Customer._meta.fields_db_projection
        columns = ",".join(f'"{fields[name]}"' for name in Customer._meta.db_fields)
        return {
            "organization_id": str(org.id),
            "token": result.token,
            "ids": [str(i) for i in chosen],
            # The row the service's ORM reads for customer(id:), with its status rule.
            "sql": (
                f'SELECT {columns} FROM "customer" WHERE "organization_id"=$1 AND "id"=$2'
                ' AND "status" IN ($3,$4) LIMIT 2'
            ),
        }
    finally:
        await close_db()


def body_of(customer_id: str) -> bytes:
    return json.dumps({"query": QUERY, "variables": {"id": customer_id}}).encode()


def answer(port: int, customer_id: str, token: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=body_of(customer_id),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--database", default="loyalty_bench_staff", help="PostgreSQL database")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", PG_ADMIN))
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--sample", type=int, default=500, help="customer ids to draw from")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="staff-query-bench-"))
    if args.db == "postgres":
        asyncio.run(create_postgres(args.admin_url, args.database))
        database_url = f"{args.admin_url.rsplit('/', 1)[0]}/{args.database}"
        raw_dsn = database_url.replace("postgres://", "postgresql://", 1)
    else:
        raw_dsn = str(work / "bench.sqlite3")
        database_url = f"sqlite://{raw_dsn}"

    from app.embedded_redis import EmbeddedRedis

    redis = EmbeddedRedis(work / "redis")
    api = raw = None
    try:
        setup = asyncio.run(prepare(database_url, args.customers, args.sample))
        harness.log(f"{args.customers} customers seeded on {args.db}")
        env = harness.service_env(database_url, redis.start(), work)
        raw_env = dict(env)
        raw_env.update(
            {
                "RAW_DSN": raw_dsn,
                "RAW_SQL": setup["sql"],
                "RAW_ORG": setup["organization_id"],
                "RAW_TOKEN": setup["token"],
            }
        )
        ports, api, raw = harness.start_service_and_raw(
            env, raw_env, "bench.raw_staff_app:app", work
        )

        token = setup["token"]
        for customer_id in setup["ids"][:50]:
            ours, theirs = (
                answer(ports["service"], customer_id, token),
                answer(ports["raw"], customer_id, token),
            )
            if ours != theirs or not (ours.get("data") or {}).get("customer"):
                raise RuntimeError(f"answers differ: {ours} != {theirs}")
        harness.log("both servers give the same answers for 50 customers")

        bodies = [body_of(customer_id) for customer_id in setup["ids"]]
        requests = {
            name: harness.graphql_requests(port, token, bodies) for name, port in ports.items()
        }
        for name, port in ports.items():
            if args.warmup:
                harness.drive(port, requests[name], args.warmup, args.connections)
        runs: dict[str, list[harness.Run]] = {"service": [], "raw": []}
        for round_number in range(1, args.rounds + 1):
            for name in harness.round_order(round_number, ("service", "raw")):
                run = harness.drive(ports[name], requests[name], args.duration, args.connections)
                runs[name].append(run)
                harness.log(
                    f"round {round_number} {name:8s} {run.rps:8.0f} req/s"
                    f"  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms  errors {run.errors}"
                )
    finally:
        for process in (api, raw):
            if process is not None:
                harness.stop(process)
        redis.stop()
        if args.db == "postgres" and not args.keep:
            asyncio.run(drop_postgres(args.admin_url, args.database))
        shutil.rmtree(work, ignore_errors=True)

    title = (
        f"repeated staff query customer(id:), {args.db}, {args.customers} customers,"
        f" {args.connections} connections, {args.rounds} alternating rounds of {args.duration:g} s"
    )
    ratio = harness.print_summary(title, runs, "service", "raw")
    print(
        json.dumps(
            {
                "db": args.db,
                "customers": args.customers,
                "connections": args.connections,
                "ratio": round(ratio, 3),
                "rounds": {k: [r.__dict__ for r in v] for k, v in runs.items()},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
