"""Merging and unmerging two customers with 1,000 orders and 2,000 ledger entries each, on
PostgreSQL, next to the raw UPDATE statements that move the same rows in one transaction.

    .venv/bin/python bench/merge.py                 # 30 rounds
    .venv/bin/python bench/merge.py --rounds 60

Each round seeds a fresh pair (not timed): per customer 1,000 orders, 1,000 EARN lots (expiry
dates spread over a year, half of each lot spent) and 1,000 REDEEM entries, plus a consent
event. Then, in an order that flips every round:
- ours: `merge_customers` (the service the GraphQL mutation calls: locks, plan, ledger
  MERGE_OUT/MERGE_IN per expiry date, rows re-pointed by id, aliases, snapshots, audit), then
  `unmerge` of that merge;
- raw: one transaction of UPDATE statements re-pointing the same orders, ledger entries and
  consent events and marking the row MERGED, then one moving the same rows back by id.
Prints p50 and p99 of each and the median of the per-round ratios (ours / raw).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import log, median_ratio, ratio_range, round_order  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432/"
ORDERS = 1000
LOTS = 1000  # and as many REDEEM entries: 2,000 ledger entries per customer


async def seed_pair(organization_id: uuid.UUID, n: int) -> tuple[uuid.UUID, uuid.UUID]:
    from app.auth.principal import Principal
    from app.core.clock import utcnow
    from app.core.ids import new_id
    from app.customers.fields import CustomerInput
    from app.customers.service import create_customer
    from app.models.audit import ActorKind
    from app.models.consent import ConsentChannel, ConsentEvent, ConsentSource
    from app.models.customer import Customer
    from app.models.order import Order
    from app.models.wallet import LedgerEntry, LedgerKind

    principal = Principal.system(organization_id)
    now = utcnow()
    ids = []
    for side in ("a", "b"):
        customer = await create_customer(
            principal, CustomerInput(email=f"{side}{n}@example.com", first_name=side)
        )
        orders = [
            Order(
                id=new_id(),
                organization_id=organization_id,
                customer_id=customer.id,
                receipt_number=f"{side}{n}-{i}",
                total=Decimal("10.00"),
                placed_at=now - dt.timedelta(days=i % 700),
            )
            for i in range(ORDERS)
        ]
        await Order.bulk_create(orders, batch_size=500)
        entries = []
        for i in range(LOTS):
            entries.append(
                LedgerEntry(
                    id=new_id(),
                    organization_id=organization_id,
                    customer_id=customer.id,
                    kind=LedgerKind.EARN,
                    points=10,
                    reason="seed",
                    actor_kind=ActorKind.SYSTEM,
                    expires_at=now + dt.timedelta(days=1 + i % 365),
                    remaining=5,
                )
            )
            entries.append(
                LedgerEntry(
                    id=new_id(),
                    organization_id=organization_id,
                    customer_id=customer.id,
                    kind=LedgerKind.REDEEM,
                    points=-5,
                    reason="seed",
                    actor_kind=ActorKind.SYSTEM,
                )
            )
        await LedgerEntry.bulk_create(entries, batch_size=500)
        await ConsentEvent.create(
            organization_id=organization_id,
            customer_id=customer.id,
            channel=ConsentChannel.EMAIL,
            state="SUBSCRIBED",
            source=ConsentSource.API,
        )
        await Customer.filter(id=customer.id).update(
            points_balance=5 * LOTS,
            lifetime_points=10 * LOTS,
            order_count=ORDERS,
            total_spent=Decimal("10.00") * ORDERS,
        )
        ids.append(customer.id)
    return ids[0], ids[1]


async def ours(
    organization_id: uuid.UUID, pair: tuple[uuid.UUID, uuid.UUID]
) -> tuple[float, float]:
    from app.auth.principal import Principal
    from app.merges.service import MergeRequest, merge_customers, unmerge

    principal = Principal.system(organization_id)
    started = time.perf_counter()
    outcome = await merge_customers(principal, MergeRequest(pair[0], [pair[1]]))
    merged = time.perf_counter()
    assert outcome.merge is not None
    await unmerge(principal, outcome.merge.id)
    return merged - started, time.perf_counter() - merged


async def raw(conn: asyncpg.Connection, pair: tuple[uuid.UUID, uuid.UUID]) -> tuple[float, float]:
    survivor, merged = pair
    tables = ("customer_order", "ledger_entry", "consent_event")
    started = time.perf_counter()
    moved = {}
    async with conn.transaction():
        await conn.execute("SELECT id FROM customer WHERE id = ANY($1) FOR UPDATE", [*pair])
        for table in tables:
            rows = await conn.fetch(
                f"UPDATE {table} SET customer_id = $1 WHERE customer_id = $2 RETURNING id",
                survivor,
                merged,
            )
            moved[table] = [r["id"] for r in rows]
        await conn.execute(
            "UPDATE customer SET status = 'MERGED', merged_into_id = $1, email = NULL"
            " WHERE id = $2",
            survivor,
            merged,
        )
    done = time.perf_counter()
    async with conn.transaction():
        await conn.execute("SELECT id FROM customer WHERE id = ANY($1) FOR UPDATE", [*pair])
        for table in tables:
            await conn.execute(
                f"UPDATE {table} SET customer_id = $1 WHERE id = ANY($2)",
                merged,
                moved[table],
            )
        await conn.execute(
            "UPDATE customer SET status = 'ACTIVE', merged_into_id = NULL, email = $2"
            " WHERE id = $1",
            merged,
            f"raw-{merged}@example.com",
        )
    return done - started, time.perf_counter() - done


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def main_async(args: argparse.Namespace) -> int:
    from app.db import close_db, init_db, migrate
    from app.organizations.service import bootstrap

    admin = await asyncpg.connect(PG.replace("postgres://", "postgresql://") + "postgres")
    drop = f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'
    await admin.execute(drop)
    await admin.execute(f'CREATE DATABASE "{args.database}"')
    url = PG + args.database
    try:
        await migrate(url)
        await init_db(url)
        org = (
            await bootstrap("Merge bench", "owner@bench.example", None, token_ttl_seconds=3600)
        ).organization
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
        times: dict[str, list[tuple[float, float]]] = {"ours": [], "raw": []}
        log(f"{args.rounds} rounds of 1,000 orders and 2,000 entries per customer")
        for n in range(args.rounds):
            for side in round_order(n, ("ours", "raw")):
                pair = await seed_pair(org.id, n * 2 + (side == "raw"))
                if side == "ours":
                    times["ours"].append(await ours(org.id, pair))
                else:
                    times["raw"].append(await raw(conn, pair))
        await conn.close()
    finally:
        await close_db()
        await admin.execute(drop)
        await admin.close()
    # The first round warms caches and prepared statements on both sides.
    for name in times:
        times[name] = times[name][1:]
    print(f"merge bench: {args.rounds - 1} rounds, PostgreSQL, ms")
    print(f"{'':10}{'ours p50':>10}{'ours p99':>10}{'raw p50':>10}{'raw p99':>10}{'ratio':>8}")
    for i, what in enumerate(("merge", "unmerge")):
        mine = [t[i] * 1000 for t in times["ours"]]
        base = [t[i] * 1000 for t in times["raw"]]
        pairs = list(zip(mine, base, strict=True))
        low, high = ratio_range(pairs)
        print(
            f"{what:10}{statistics.median(mine):10.1f}{percentile(mine, 0.99):10.1f}"
            f"{statistics.median(base):10.1f}{percentile(base, 0.99):10.1f}"
            f"{median_ratio(pairs):8.2f}   (per-round ratio {low:.2f}-{high:.2f})"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database", default="loyalty_bench_merge")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
