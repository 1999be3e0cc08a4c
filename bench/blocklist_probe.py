"""The blocklist probe: what checking one identifier costs, next to the bare SELECT.

    .venv/bin/python bench/blocklist_probe.py [--entries 200000] [--probes 5000] [--rounds 5]
        [--database loyalty_bench_blocklist] [--keep]

Not a test and never run on CI. On PostgreSQL (127.0.0.1:5432, user postgres) it
1. creates the database, migrates it, bootstraps one organization and fills its blocklist with
   --entries digests (half of them under key version 1, half under version 2, as during a
   rotation) through COPY;
2. in every round, in alternating order, runs --probes lookups of phone numbers (one in ten
   blocked) two ways:
   - ours: `visibility.identifier_blocked` (normalized value -> two HMAC-SHA256 chains -> one
     statement on the unique index through Tortoise's connection pool), as the POS miss path,
     customer creation and identifierStatus call it;
   - raw: asyncpg `SELECT 1 ... WHERE organization_id = $1 AND digest = ANY($2)` with the
     digests computed beforehand: the index lookup and nothing else;
3. prints the median microseconds per probe of both and the median of the per-round ratios, and
   the cost of the digests alone.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
KEYS = ((1, "bench-blocklist-key-one-" + "a" * 32), (2, "bench-blocklist-key-two-" + "b" * 32))


def phone(i: int) -> str:
    return f"+1202{5550000 + i:07d}"[:12]


async def prepare(url: str, entries: int) -> uuid.UUID:
    import asyncpg

    from app.core import blocklist
    from app.core.blocklist import IdentifierKind
    from app.db import init_db, migrate
    from app.organizations.service import bootstrap

    await migrate(url)
    await init_db(url)
    result = await bootstrap(
        "Bench",
        "owner@bench.example",
        "bench password 1234",
        default_region="US",
        timezone="UTC",
        token_ttl_seconds=3600,
    )
    org = result.organization.id
    ring = blocklist.keyring()
    rows = []
    for i in range(entries):
        # Every tenth number of the probe range is blocked; the rest fill the index.
        chain = ring.chain(org, IdentifierKind.PHONE, f"+1303{i:07d}" if i % 10 else phone(i))
        version = 1 if i % 2 else 2
        rows.append((uuid.uuid4(), org, chain[version - 1], version, "ERASED"))
    now = dt.datetime.now(dt.UTC)
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.copy_records_to_table(
            "blocklist_entry",
            records=[(*r, now) for r in rows],
            columns=["id", "organization_id", "digest", "key_version", "reason", "created_at"],
        )
        await conn.execute("ANALYZE blocklist_entry")
    finally:
        await conn.close()
    return org


async def measure(url: str, org: uuid.UUID, probes: int, rounds: int) -> None:
    import asyncpg

    from app.core import blocklist
    from app.core.blocklist import IdentifierKind
    from app.customers.repository import visibility

    ring = blocklist.keyring()
    values = [phone(i) for i in range(probes)]
    digests = [ring.probe_digests(org, IdentifierKind.PHONE, v) for v in values]
    raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    statement = await raw.prepare(
        "SELECT 1 FROM blocklist_entry WHERE organization_id = $1 AND digest = ANY($2)"
    )

    async def ours() -> tuple[float, int]:
        started = time.perf_counter()
        hits = 0
        for value in values:
            hits += await visibility.identifier_blocked(org, "phone", value)
        return time.perf_counter() - started, hits

    async def baseline() -> tuple[float, int]:
        started = time.perf_counter()
        hits = 0
        for pair in digests:
            hits += bool(await statement.fetch(org, pair))
        return time.perf_counter() - started, hits

    ratios: list[float] = []
    ours_us: list[float] = []
    raw_us: list[float] = []
    for n in range(rounds):
        order = (ours, baseline) if n % 2 == 0 else (baseline, ours)
        results = {}
        for side in order:
            results[side] = await side()
        (t_ours, h_ours), (t_raw, h_raw) = results[ours], results[baseline]
        assert h_ours == h_raw == probes // 10 + (probes % 10 > 0), (h_ours, h_raw)
        ours_us.append(t_ours / probes * 1e6)
        raw_us.append(t_raw / probes * 1e6)
        ratios.append(t_ours / t_raw)
    await raw.close()
    started = time.perf_counter()
    for value in values:
        ring.probe_digests(org, IdentifierKind.PHONE, value)
    digest_us = (time.perf_counter() - started) / probes * 1e6
    print(f"probes per round: {probes}, rounds: {rounds}")
    print(f"ours (HMAC chains + pooled probe): median {statistics.median(ours_us):.1f} us/probe")
    print(f"raw (prepared asyncpg SELECT):  median {statistics.median(raw_us):.1f} us/probe")
    print(f"ratio ours/raw (median of rounds): {statistics.median(ratios):.2f}")
    print(f"digests alone (two key versions): {digest_us:.1f} us/probe")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--probes", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database", default="loyalty_bench_blocklist")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    import asyncpg

    from app.core import blocklist
    from app.db import close_db

    blocklist.install_keys(KEYS)
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{args.database}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + "/" + args.database
    try:
        org = await prepare(url, args.entries)
        print(f"blocklist entries: {args.entries} (key versions 1 and 2)")
        await measure(url, org, args.probes, args.rounds)
    finally:
        await close_db()
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
