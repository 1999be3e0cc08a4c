"""Earning rules on the order path: `orderRecord` through GraphQL with 10 active rules against the
same with none, side by side in one run.

    .venv/bin/python bench/rules.py [--customers 5000] [--rounds 5] [--duration 4]
        [--connections 4] [--database loyalty_bench_rules]

PostgreSQL only. Not a test and never run on CI. It
1. creates the database --database (dropped at the end unless --keep), migrates it, bootstraps
   two organizations with the same seeded customers and orders (app/seed) and a POS key each;
   one of them ("rules") gets 10 ACTIVE earning rules of the order kinds and of the others,
   as a program would run them (`RULES` below), the other ("none") has none;
2. starts `loyalty api` (uvicorn, one process, production settings);
3. records orders (new receipts every request, two items, a store) through the POS key on
   --connections keep-alive connections, alternating which organization goes first every
   round, and prints req/s, p50 and p99 of both and the median of the per-round ratios of
   latency (target: rules/none <= 1.3).

The campaign half of the issue's benchmark lives in its own functions or file.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.staff_query import PG_ADMIN, create_postgres, drop_postgres  # noqa: E402

RECORD = """mutation Record($input: OrderRecordInput!) {
  orderRecord(input: $input) { points bonusPoints wallet { balance } errors { code } }
}"""
SIDES = ("rules", "none")
# (kind, points or multiplier, conditions, audience, limits): ten rules a program might run at
# once; budgets and per-customer limits on some, as a program would set them.
LIMIT, SILVER, GOLD, AT_RISK = "per_customer_limit", "Silver", "Gold", "AT_RISK"
RULES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, int]]] = [
    ("ORDER_MULTIPLIER", {"multiplier": "2"}, {}, {}, {"points_budget": 100_000_000}),
    ("ORDER_MULTIPLIER", {"multiplier": "3"}, {"categories": ["shoes"]}, {}, {LIMIT: 10}),
    ("ORDER_MULTIPLIER", {"multiplier": "1.5"}, {"minTotal": "80"}, {"tiers": [SILVER, GOLD]}, {}),
    (
        "ORDER_MULTIPLIER",
        {"multiplier": "2"},
        {"tags": ["promo"]},
        {"lifecycleStages": [AT_RISK]},
        {},
    ),
    ("STREAK", {"points": 50}, {"orders": 3, "withinDays": 30}, {}, {"points_budget": 50_000_000}),
    ("MILESTONE", {"points": 500}, {"lifetimeOrders": 10}, {}, {}),
    ("MILESTONE", {"points": 1000}, {"lifetimeSpend": "2000"}, {}, {}),
    ("FIRST_ORDER", {"points": 100}, {}, {}, {}),
    ("WELCOME", {"points": 100}, {}, {}, {}),
    ("PROFILE_COMPLETED", {"points": 50}, {"requiredFields": ["email", "birthday"]}, {}, {}),
]


def _owner(organization_id: Any, owner_id: Any) -> Any:
    """The owner's principal, as the signed-in owner acts."""
    from app.auth.principal import Principal, PrincipalKind
    from app.models.staff import Role

    return Principal(
        organization_id=organization_id,
        kind=PrincipalKind.STAFF,
        subject_id=owner_id,
        role=Role.OWNER,
    )


async def _organization(name: str, customers: int, seed: int) -> dict[str, Any]:
    from app.auth.permissions import ApiKeyScope
    from app.auth.principal import Principal
    from app.auth.service import create_api_key
    from app.models.customer import Customer
    from app.organizations.service import bootstrap, create_store
    from app.seed.writer import seed_organization

    result = await bootstrap(
        name,
        f"owner-{name.lower().replace(' ', '-')}@example.com",
        "bench password 1234",
        default_region="US",
        timezone="America/New_York",
        token_ttl_seconds=24 * 3600,
    )
    org_id = result.organization.id
    started = time.perf_counter()
    await seed_organization(org_id, customers, 3.0, seed)
    harness.log(f"{name}: seeded {customers} customers in {time.perf_counter() - started:.0f} s")
    system = Principal.system(org_id)
    key = await create_api_key(system, "POS", [ApiKeyScope.ORDERS_WRITE, ApiKeyScope.WALLET_READ])
    owner = _owner(org_id, result.owner.id)
    store = await create_store(owner, "Bench store", "B1", False)
    ids = (
        await Customer.filter(organization_id=org_id).limit(customers).values_list("id", flat=True)
    )
    return {
        "organization_id": str(org_id),
        "owner_id": str(result.owner.id),
        "key": key.key,
        "store_id": str(store.id),
        "customer_ids": [str(i) for i in ids],
    }


async def _add_rules(organization_id: str, owner_id: str) -> None:
    import uuid
    from decimal import Decimal

    from app.customers import audience
    from app.models.earning_rule import EarningRuleKind
    from app.rules import service

    owner = _owner(uuid.UUID(organization_id), uuid.UUID(owner_id))
    for n, (kind, amount, conditions, where, limits) in enumerate(RULES):
        rule = await service.create_rule(
            owner,
            EarningRuleKind(kind),
            service.EarningRuleInput(
                name=f"Bench rule {n}",
                points=amount.get("points"),
                multiplier=Decimal(amount["multiplier"]) if "multiplier" in amount else None,
                conditions=conditions,
                audience=audience.from_json(where),
                per_customer_limit=limits.get("per_customer_limit"),
                points_budget=limits.get("points_budget"),
            ),
        )
        await service.activate_rule(owner, rule.id)


async def prepare(url: str, customers: int) -> dict[str, dict[str, Any]]:
    """Both organizations, seeded alike; 10 active rules on one of them."""
    from tortoise import connections

    from app.db import close_db, init_db, migrate

    await migrate(url)
    await init_db(url)
    try:
        sides = {side: await _organization(f"Bench {side}", customers, 1) for side in SIDES}
        await _add_rules(sides["rules"]["organization_id"], sides["rules"]["owner_id"])
        await connections.get("default").execute_script("ANALYZE")
        return sides
    finally:
        await close_db()


def order_requests(port: int, side: str, setup: dict[str, Any]) -> Callable[[], Iterator[bytes]]:
    """An endless stream of `orderRecord` POSTs, each with a new receipt (shared by all of the
    side's connections, so no receipt is ever sent twice: a replay would be the fast path)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {setup['key']}"}
    counter = itertools.count()
    customers = setup["customer_ids"]
    placed_at = "2026-01-15T12:00:00-05:00"

    def body(n: int) -> bytes:
        items = [
            {"sku": "SHOE-1", "price": "60.00", "category": "shoes", "tags": []},
            {"sku": "HAT-1", "price": "40.00", "category": "hats", "tags": ["promo"]},
        ]
        variables = {
            "input": {
                "customerId": customers[(n * 7919) % len(customers)],
                "receiptNumber": f"{side}-{n}",
                "total": "100.00",
                "placedAt": placed_at,
                "storeId": setup["store_id"],
                "items": items,
            }
        }
        return json.dumps({"query": RECORD, "variables": variables}).encode()

    def stream() -> Iterator[bytes]:
        for n in counter:
            yield harness.http_post("/graphql", port, body(n), headers)

    return stream


def check_rules_pay(port: int, sides: dict[str, dict[str, Any]]) -> None:
    """One order each way: the ruled organization pays bonuses, the other does not."""
    import urllib.request

    for side, expect_bonus in (("rules", True), ("none", False)):
        setup = sides[side]
        request = next(order_requests(port, f"check-{side}", setup)())
        _head, body = request.split(b"\r\n\r\n", 1)
        http = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {setup['key']}"},
            method="POST",
        )
        with urllib.request.urlopen(http, timeout=60) as response:  # noqa: S310 - localhost
            answer = json.loads(response.read())
        payload = answer["data"]["orderRecord"]
        if payload["errors"] or (payload["bonusPoints"] > 0) != expect_bonus:
            raise RuntimeError(f"{side}: unexpected answer {payload}")
    harness.log("the ruled organization pays bonuses, the other none")


def measure_orders(
    port: int, sides: dict[str, dict[str, Any]], rounds: int, duration: float, connections: int
) -> dict[str, list[harness.Run]]:
    requests = {side: order_requests(port, side, sides[side]) for side in SIDES}
    for side in SIDES:
        harness.drive(port, requests[side], 1.0, connections)  # warm up
    runs: dict[str, list[harness.Run]] = {side: [] for side in SIDES}
    for round_number in range(1, rounds + 1):
        for side in harness.round_order(round_number, SIDES):
            run = harness.drive(port, requests[side], duration, connections)
            runs[side].append(run)
            harness.log(
                f"round {round_number} {side:6s} {run.rps:7.0f} req/s  p50 {run.p50_ms:7.2f} ms"
                f"  p99 {run.p99_ms:7.2f} ms  errors {run.errors}"
            )
    return runs


def print_orders(runs: dict[str, list[harness.Run]], customers: int, connections: int) -> None:
    harness.print_summary(
        f"orderRecord through GraphQL, PostgreSQL, {customers} customers per organization,"
        f" {connections} connections: 10 active earning rules vs none",
        runs,
        "rules",
        "none",
    )
    p50 = statistics.median(
        r.p50_ms / n.p50_ms for r, n in zip(runs["rules"], runs["none"], strict=True)
    )
    p99 = statistics.median(
        r.p99_ms / n.p99_ms for r, n in zip(runs["rules"], runs["none"], strict=True)
    )
    print(
        f"latency rules/none: p50 {p50:.2f}x, p99 {p99:.2f}x (median of per-round ratios;"
        " target <= 1.3)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", default="loyalty_bench_rules", help="PostgreSQL database")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", PG_ADMIN))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per measured run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    random.seed(1)
    work = Path(tempfile.mkdtemp(prefix="rules-bench-"))
    asyncio.run(create_postgres(args.admin_url, args.database))
    database_url = f"{args.admin_url.rsplit('/', 1)[0]}/{args.database}"

    from app.embedded_redis import EmbeddedRedis

    redis = EmbeddedRedis(work / "redis")
    api = None
    try:
        sides = asyncio.run(prepare(database_url, args.customers))
        env = harness.service_env(database_url, redis.start(), work)
        port = harness.free_port()
        loyalty = str(Path(sys.executable).parent / "loyalty")
        api = harness.start(
            [loyalty, "api", "--host", "127.0.0.1", "--port", str(port)], env, work / "api.log"
        )
        harness.wait_ready(f"http://127.0.0.1:{port}/health", api)
        check_rules_pay(port, sides)
        runs = measure_orders(port, sides, args.rounds, args.duration, args.connections)
    finally:
        if api is not None:
            harness.stop(api)
        redis.stop()
        if not args.keep:
            asyncio.run(drop_postgres(args.admin_url, args.database))
        shutil.rmtree(work, ignore_errors=True)
    print_orders(runs, args.customers, args.connections)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
