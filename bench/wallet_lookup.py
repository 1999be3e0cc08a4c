"""POS wallet lookups by phone over HTTP: the service as deployed against a raw baseline.

    .venv/bin/python bench/wallet_lookup.py [--customers 1000000] [--duration 10] [--rounds 3]
        [--api-env LOYALTY_COMPILED_OPERATIONS=0]   # e.g. the general GraphQL path, to compare
        [--query wallet|customer] [--database loyalty_bench] [--redis-url redis://host:6379/8]

Not a test and never run on CI. It
1. creates (or reuses) the database `loyalty_bench`, migrates it, bootstraps the organization
   "Bench" and seeds it with `app.seed` up to --customers (a rerun reuses the rows);
2. issues a `wallet:read` API key and samples phones of seeded customers into a file;
3. starts `loyalty api` (uvicorn, one process, LOYALTY_ENV=production; Redis is --redis-url, or
   an embedded one) and the raw Starlette + asyncpg app of bench/raw_wallet_app.py (uvicorn, one
   process) running the same SELECT, each on a free port unless --api-port/--raw-port say;
4. checks both answer the same JSON for a sample of phones (for the query measured: `wallet` or
   `customer`), then drives each with wrk at 16 connections (a Lua script picks a random phone
   per request; without wrk, the Python driver of bench/harness.py), both in every round and
   in alternating order, and prints requests/s, p50 and p99 of both (medians) and the median
   of the per-round ratios.

Targets (from the issue): ratio >= 0.6 and GraphQL p99 <= 25 ms on a 2-core machine. wrk runs
on the same machine and takes its share of the cores, for both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import Run, log  # noqa: E402

ORG_NAME = "Bench"
OWNER_EMAIL = "bench-owner@example.com"
OWNER_PASSWORD = "bench password 1234"
WALLET_QUERY = (
    "query Wallet($phone: String!) "
    "{ wallet(phone: $phone) { customerId balance lifetimePoints tier { name } } }"
)
CUSTOMER_QUERY = "query Customer($phone: String!) { customer(phone: $phone) { id } }"

LUA = r"""
local phones = {}
for line in io.lines(os.getenv("BENCH_PHONES")) do phones[#phones + 1] = line end
local query = os.getenv("BENCH_QUERY")
local token = os.getenv("BENCH_TOKEN")
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

request = function()
  local phone = phones[math.random(#phones)]
  local body = '{"query":' .. query .. ',"variables":{"phone":"' .. phone .. '"}}'
  return wrk.format(nil, "/graphql", nil, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"socket_errors":%d,"non2xx":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


# --- setup ------------------------------------------------------------------------------------


async def prepare(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    """Database, organization, seed, API key, phone sample; returns what the servers need."""
    import asyncpg

    from app.auth.permissions import ApiKeyScope
    from app.auth.principal import Principal
    from app.auth.service import create_api_key
    from app.db import close_db, init_db, migrate
    from app.models.customer import Customer
    from app.models.organization import Organization
    from app.organizations.program import program_of
    from app.organizations.service import bootstrap
    from app.seed.repository import seeded_customers
    from app.seed.writer import seed_organization

    admin = await asyncpg.connect(args.admin_url.replace("postgres://", "postgresql://", 1))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", args.database)
        if not exists:
            log(f"creating database {args.database}")
            await admin.execute(f'CREATE DATABASE "{args.database}"')
    finally:
        await admin.close()

    await migrate(database_url)
    await init_db(database_url)
    try:
        org = await Organization.filter(name=ORG_NAME).order_by("created_at").first()
        if org is None:
            result = await bootstrap(
                ORG_NAME,
                OWNER_EMAIL,
                OWNER_PASSWORD,
                default_region="US",
                timezone="UTC",
                token_ttl_seconds=3600,
            )
            org = result.organization
        from tortoise import connections

        conn = connections.get("default")
        have = await seeded_customers(org.id, conn)
        if have < args.customers:
            log(f"seeding {args.customers - have} customers (have {have})")
            summary = await seed_organization(
                org.id,
                args.customers - have,
                args.orders_per_customer,
                args.seed,
                segments=not args.no_segments,
            )
            log(f"seeded: {json.dumps(summary.as_json())}")
            await conn.execute_script("VACUUM ANALYZE customer")
        else:
            log(f"reusing {have} seeded customers of organization {org.id}")
        total = await Customer.filter(organization_id=org.id).count()

        issued = await create_api_key(
            Principal.system(org.id), "bench", [ApiKeyScope.WALLET_READ, ApiKeyScope.CUSTOMERS_READ]
        )
        sample = await conn.execute_query_dict(
            "SELECT phone FROM customer WHERE organization_id = $1 AND phone IS NOT NULL"
            " AND status = 'ACTIVE' ORDER BY random() LIMIT $2",
            [org.id, args.sample],
        )
        fields = Customer._meta.fields_db_projection
        columns = ",".join(f'"{fields[name]}"' for name in Customer._meta.db_fields)
        program = program_of(org)
        return {
            "organization_id": str(org.id),
            "customers": total,
            "token": issued.key,
            "phones": [str(row["phone"]) for row in sample],
            # The statement Tortoise builds for visibility.by_identifier(phone=...).
            "sql": (
                f'SELECT {columns} FROM "customer" WHERE "organization_id"=$1'
                ' AND "status" IN ($2,$3) AND "phone"=$4 LIMIT $5'
            ),
            "tiers": [[t.name, t.min_lifetime_points] for t in program.tiers],
        }
    finally:
        await close_db()


def has_wallet_query() -> bool:
    from app.graphql.schema import schema_sdl

    return "wallet(" in schema_sdl()


# --- servers ----------------------------------------------------------------------------------


def post(url: str, query: str, phone: str, token: str) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": {"phone": phone}}).encode()
    request = urllib.request.Request(  # noqa: S310 - localhost
        url,
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        result: dict[str, Any] = json.loads(response.read())
        return result


def check_equivalent(api: str, raw: str, query: str, phones: list[str], token: str) -> None:
    """Both servers give the same document for the query measured, whichever it is."""
    for phone in phones:
        left = post(api, query, phone, token)
        right = post(raw, query, phone, token)
        if left.get("errors") or not left.get("data"):
            raise RuntimeError(f"GraphQL error: {left}")
        if left != right:
            raise RuntimeError(f"answers differ: {left} != {right}")


# --- load -------------------------------------------------------------------------------------


def wrk(
    url: str, duration: int, connections: int, threads: int, env: dict[str, str], lua: Path
) -> Run:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH_RESULT "))
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    seconds = data["duration_us"] / 1e6
    return Run(
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["socket_errors"] + data["non2xx"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders-per-customer", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-segments", action="store_true", help="skip the RFM recompute")
    parser.add_argument("--database", default="loyalty_bench")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument(
        "--redis-url", help="Redis of `loyalty api` (any database number); default: an embedded one"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--sample", type=int, default=100_000, help="phones to draw from")
    parser.add_argument("--api-port", type=int, default=0, help="0: a free port")
    parser.add_argument("--raw-port", type=int, default=0, help="0: a free port")
    parser.add_argument("--query", choices=("auto", "wallet", "customer"), default="auto")
    parser.add_argument(
        "--api-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment of `loyalty api`, e.g. LOYALTY_COMPILED_OPERATIONS=0",
    )
    args = parser.parse_args()

    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        log("wrk not found: the Python driver of bench/harness.py sends the load")
    api_port = args.api_port or harness.free_port()
    raw_port = args.raw_port or harness.free_port()
    base = args.admin_url.rsplit("/", 1)[0]
    database_url = f"{base}/{args.database}"
    work = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    phones_file = work / "phones.txt"

    setup = asyncio.run(prepare(args, database_url))
    phones: list[str] = setup["phones"]
    phones_file.write_text("".join(f"{phone}\n" for phone in phones))
    kind = args.query
    if kind == "auto":
        kind = "wallet" if has_wallet_query() else "customer"
    query = WALLET_QUERY if kind == "wallet" else CUSTOMER_QUERY
    log(f"{len(phones)} phones sampled; query: {kind}")

    from app.embedded_redis import EmbeddedRedis

    embedded = None
    redis_url = args.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(work / "redis")
        redis_url = embedded.start()
    env = dict(os.environ)
    env.update(
        {
            "LOYALTY_ENV": "production",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOYALTY_SECRET_KEY": secrets.token_urlsafe(48),
            "LOYALTY_BLOCKLIST_KEY": "1:" + secrets.token_urlsafe(48),
            "LOYALTY_DATA_DIR": str(work / "data"),
            "LOYALTY_LOG_LEVEL": "WARNING",
        }
    )
    api_env = dict(env)
    api_env.update(item.split("=", 1) for item in args.api_env)
    raw_env = dict(env)
    raw_env.update(
        {
            "RAW_DSN": database_url.replace("postgres://", "postgresql://", 1),
            "RAW_SQL": setup["sql"],
            "RAW_ORG": setup["organization_id"],
            "RAW_TOKEN": setup["token"],
            "RAW_TIERS": json.dumps(setup["tiers"]),
            "RAW_QUERY": kind,
        }
    )
    python = sys.executable
    # The deployed entry point: `loyalty api` (uvicorn, one process).
    loyalty = str(Path(python).parent / "loyalty")
    api = harness.start(
        [loyalty, "api", "--host", "127.0.0.1", "--port", str(api_port)],
        api_env,
        work / "api.log",
    )
    raw = harness.start(
        [*harness.uvicorn_command("bench.raw_wallet_app:app", raw_port), "--proxy-headers"],
        raw_env,
        work / "raw.log",
    )
    try:
        api_url = f"http://127.0.0.1:{api_port}"
        raw_url = f"http://127.0.0.1:{raw_port}"
        harness.wait_ready(f"{api_url}/health", api)
        harness.wait_ready(f"{raw_url}/health", raw)
        check_equivalent(
            f"{api_url}/graphql", f"{raw_url}/graphql", query, phones[:50], setup["token"]
        )
        log("both servers give the same answers for 50 phones")

        lua = work / "wallet.lua"
        lua.write_text(LUA)
        wrk_env = dict(os.environ)
        wrk_env.update(
            {
                "BENCH_PHONES": str(phones_file),
                "BENCH_QUERY": json.dumps(query),
                "BENCH_TOKEN": setup["token"],
            }
        )
        ports = {"graphql": api_port, "raw": raw_port}
        bodies = [
            json.dumps({"query": query, "variables": {"phone": phone}}).encode()
            for phone in phones[:5000]
        ]
        drivers = {
            name: harness.graphql_requests(port, setup["token"], bodies)
            for name, port in ports.items()
        }

        def load(name: str, seconds: float) -> Run:
            if use_wrk:
                url = f"http://127.0.0.1:{ports[name]}"
                return wrk(url, int(seconds), args.connections, args.threads, wrk_env, lua)
            return harness.drive(ports[name], drivers[name], seconds, args.connections)

        results: dict[str, list[Run]] = {"graphql": [], "raw": []}
        for name in ports:
            if args.warmup:
                load(name, args.warmup)
        for round_number in range(1, args.rounds + 1):
            for name in harness.round_order(round_number, ("graphql", "raw")):
                run = load(name, args.duration)
                results[name].append(run)
                log(
                    f"round {round_number} {name:8s} {run.rps:8.0f} req/s"
                    f"  p50 {run.p50_ms:6.2f} ms  p99 {run.p99_ms:6.2f} ms  errors {run.errors}"
                )
    finally:
        harness.stop(api)
        harness.stop(raw)
        if embedded is not None:
            embedded.stop()

    title = (
        f"POS wallet lookup by phone, {args.connections} connections, {args.rounds} alternating"
        f" rounds of {args.duration} s; {setup['customers']} customers; query: {kind}"
    )
    # Each round's ratio pairs two runs under the same load; their median is the figure.
    ratio = harness.print_summary(title, results, "graphql", "raw")
    graphql, baseline = harness.median_run(results["graphql"]), harness.median_run(results["raw"])
    print("target: ratio >= 0.6")
    print(f"graphql p99: {graphql.p99_ms:.2f} ms  (target <= 25 ms)")
    verdict = ratio >= 0.6 and graphql.p99_ms <= 25
    print("targets met" if verdict else "targets NOT met")
    print(
        json.dumps(
            {
                "customers": setup["customers"],
                "query": kind,
                "api_env": args.api_env,
                "connections": args.connections,
                "graphql": graphql.__dict__,
                "raw": baseline.__dict__,
                "ratio": round(ratio, 3),
                "rounds": {k: [r.__dict__ for r in v] for k, v in results.items()},
            }
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
