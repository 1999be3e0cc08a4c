"""A campaign crediting 100,000 of 1M customers end to end, next to a raw INSERT ... SELECT
measured in the same run.

    .venv/bin/python bench/campaigns.py [--customers 1000000] [--audience 100000] [--rounds 3]
        [--batch-size 5000] [--database-url postgres://postgres@127.0.0.1:5432/loyalty_bench_campaigns]

PostgreSQL only (the set-based path the issue targets). Not a test and never run on CI. It
1. creates (or reuses) the database, migrates it and seeds the organization "Campaign bench"
   with `app.seed` (a rerun with the same size reuses the rows, --reseed starts over), then
   plants a current persona holding every tenth customer (--audience of them) and ANALYZEs;
2. times, in every round and alternating which goes first:
   - service: what staff and the worker do for "100 points for the persona": the campaign is
     created (its audience counted) and scheduled through `app.campaigns.service`, then run by
     the worker's own job function (`workers.settings.run_in_process`: the job a worker takes
     from Redis, without the queue's wait), batch after batch (--batch-size customers per
     transaction, each committing its progress), until COMPLETED;
   - raw: one hand-written statement through asyncpg: INSERT ... SELECT of the same entries
     (balance_after, lot, expiry, idempotency key, ON CONFLICT DO NOTHING) over the persona's
     customers, locked, and the UPDATE of their balances, in one transaction;
   after each side (untimed) its entries are deleted, the balances put back and both tables
   vacuumed, so neither side pays for the other's rows;
3. checks that both sides credited the same customers the same points, and prints each round,
   the medians and the median of the per-round ratios (raw time / service time: the share of
   the raw statement's speed the service keeps; the issue's target is >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

ORG_NAME = "Campaign bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_campaigns"
POINTS = 100

RAW_CREDIT = """
WITH members AS (
    SELECT c.id, c.points_balance FROM customer c
    JOIN persona_assignment a ON a.customer_id = c.id
    WHERE a.persona_set_id = $2 AND a.persona_identity_id = $3
      AND c.organization_id = $1 AND c.status IN ('ACTIVE', 'ARCHIVED') AND NOT c.blocked
    FOR UPDATE OF c
), inserted AS (
    INSERT INTO ledger_entry (id, organization_id, customer_id, kind, points, reason, actor_kind,
        idempotency_key, expires_at, remaining, balance_after, created_at)
    SELECT gen_random_uuid(), $1, m.id, 'EARN', $4, 'raw bench', 'SYSTEM', 'raw:' || m.id::text,
        now() + interval '365 days', $4, m.points_balance + $4, now()
    FROM members m
    ON CONFLICT (organization_id, idempotency_key) DO NOTHING
    RETURNING customer_id
)
UPDATE customer c SET points_balance = c.points_balance + $4,
    lifetime_points = c.lifetime_points + $4
FROM inserted i WHERE c.id = i.customer_id
"""
# Undo one side (untimed): its entries go and the balances they added come off.
UNDO = """
WITH gone AS (
    DELETE FROM ledger_entry WHERE organization_id = $1 AND idempotency_key LIKE $2
    RETURNING customer_id, points
)
UPDATE customer c SET points_balance = c.points_balance - g.points,
    lifetime_points = c.lifetime_points - g.points
FROM gone g WHERE c.id = g.customer_id
"""


async def prepare(customers: int, audience: int, seed: int) -> tuple[uuid.UUID, uuid.UUID]:
    """The bench organization (seeded) and the identity of its planted persona."""
    from tortoise import connections

    from app.core.clock import utcnow
    from app.core.ids import new_id
    from app.models.customer import Customer
    from app.models.organization import Organization
    from app.models.persona import Persona, PersonaSet, PersonaSetStatus
    from app.organizations.service import bootstrap
    from app.seed.writer import seed_organization

    org = await Organization.get_or_none(name=ORG_NAME)
    if org is None:
        created = await bootstrap(
            ORG_NAME,
            "bench-owner@example.com",
            "bench password 1234",
            default_region="US",
            timezone="UTC",
            token_ttl_seconds=3600,
        )
        org = created.organization
    have = await Customer.filter(organization_id=org.id).count()
    if have > customers:
        raise SystemExit(f"the bench organization has {have} customers: use --reseed")
    if have < customers:
        started = time.perf_counter()
        summary = await seed_organization(org.id, customers - have, 0.2, seed, segments=False)
        harness.log(
            f"seeded {summary.customers:,} customers in {time.perf_counter() - started:.0f} s"
        )
    conn = connections.get("default")
    persona = await Persona.filter(organization_id=org.id, name="Campaign audience").first()
    if persona is None or persona.size != audience:
        await PersonaSet.filter(organization_id=org.id).delete()
        persona_set = await PersonaSet.create(
            organization_id=org.id,
            status=PersonaSetStatus.READY,
            is_current=True,
            generated_at=utcnow(),
            customer_count=customers,
        )
        persona = await Persona.create(
            organization_id=org.id,
            persona_set_id=persona_set.id,
            identity_id=new_id(),
            name="Campaign audience",
            size=audience,
            share=audience / customers,
        )
        step = max(1, customers // audience)
        await conn.execute_query(
            "INSERT INTO persona_assignment (persona_set_id, customer_id, persona_identity_id)"
            " SELECT $1, id, $2 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n"
            " FROM customer WHERE organization_id = $3) numbered"
            " WHERE n % $4 = 0 ORDER BY n LIMIT $5",
            [persona_set.id, persona.identity_id, org.id, step, audience],
        )
        await conn.execute_script("ANALYZE")
    return uuid.UUID(str(org.id)), uuid.UUID(str(persona.identity_id))


async def service_side(
    settings: Any, org_id: uuid.UUID, persona_id: uuid.UUID
) -> tuple[float, uuid.UUID]:
    from app.auth.principal import Principal, PrincipalKind
    from app.campaigns import service
    from app.campaigns.jobs import run
    from app.campaigns.service import CampaignDraft
    from app.customers.repository.search import CustomerFilter
    from app.models.staff import Staff
    from workers.settings import registered

    owner = await Staff.get(organization_id=org_id)
    principal = Principal(org_id, PrincipalKind.STAFF, owner.id, owner.role)
    started = time.perf_counter()
    draft = CampaignDraft(
        "Bench", CustomerFilter(persona_id=persona_id), POINTS, "a campaign for the persona"
    )
    campaign = await service.create_campaign(principal, draft)
    campaign = await service.schedule_campaign(principal, campaign.id)
    # The job as a worker runs it once arq hands it over (the queue's wait left out).
    job = run(org_id, campaign.id, campaign.scheduled_at)
    status = await registered(job.function)({"job_try": 1, "settings": settings}, *job.args)
    elapsed = time.perf_counter() - started
    if status != "COMPLETED":
        raise RuntimeError(f"the campaign ended {status}")
    return elapsed, campaign.id


async def raw_side(dsn: str, org_id: uuid.UUID, persona_id: uuid.UUID) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        set_id = await conn.fetchval(
            "SELECT id FROM persona_set WHERE organization_id = $1 AND is_current", org_id
        )
        started = time.perf_counter()
        async with conn.transaction():
            await conn.execute(RAW_CREDIT, org_id, set_id, persona_id, POINTS)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def credited(dsn: str, org_id: uuid.UUID, pattern: str) -> tuple[int, int, str]:
    """(entries, points, a digest of the customers) of one side's credits."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(points), 0) AS points,"
            " md5(string_agg(customer_id::text, ',' ORDER BY customer_id)) AS digest"
            " FROM ledger_entry WHERE organization_id = $1 AND idempotency_key LIKE $2",
            org_id,
            pattern,
        )
        return int(row["n"]), int(row["points"]), str(row["digest"])
    finally:
        await conn.close()


async def undo(dsn: str, org_id: uuid.UUID, pattern: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(UNDO, org_id, pattern)
        await conn.execute("VACUUM ANALYZE ledger_entry")
        await conn.execute("VACUUM ANALYZE customer")
    finally:
        await conn.close()


async def measure(args: argparse.Namespace) -> int:
    from app.config import Environment, Settings
    from app.db import close_db, init_db, migrate

    url = args.database_url
    await harness.ensure_database(url, args.reseed)
    await migrate(url)
    await init_db(url)
    dsn = url.replace("postgres://", "postgresql://", 1)
    # The job reads its batch size from the worker's settings, as `loyalty worker` does.
    settings = Settings(
        env=Environment.PRODUCTION,
        data_dir=Path(tempfile.gettempdir()),
        database_url=url,
        redis_url=None,
        secret_key="bench-" + "x" * 40,
        campaign_batch_size=args.batch_size,
    )
    try:
        org_id, persona_id = await prepare(args.customers, args.audience, args.seed)
        pairs: list[tuple[float, float]] = []
        for number in range(1, args.rounds + 1):
            times: dict[str, float] = {}
            digests: dict[str, str] = {}
            for side in harness.round_order(number, ("service", "raw")):
                if side == "service":
                    times["service"], campaign_id = await service_side(settings, org_id, persona_id)
                    pattern = f"campaign:{campaign_id}:%"
                else:
                    times["raw"] = await raw_side(dsn, org_id, persona_id)
                    pattern = "raw:%"
                found = await credited(dsn, org_id, pattern)
                if found[:2] != (args.audience, args.audience * POINTS):
                    raise RuntimeError(f"{side} credited {found[:2]}")
                digests[side] = found[2]
                await undo(dsn, org_id, pattern)
            if digests["service"] != digests["raw"]:
                raise RuntimeError("the two sides credited different customers")
            pairs.append((times["service"], times["raw"]))
            harness.log(
                f"round {number}: service {times['service']:.2f} s, raw {times['raw']:.2f} s,"
                f" raw/service {times['raw'] / times['service']:.2f}"
            )
    finally:
        await close_db()
    service_median = statistics.median(s for s, _ in pairs)
    raw_median = statistics.median(r for _, r in pairs)
    ratio = statistics.median(r / s for s, r in pairs)
    print(
        f"campaign crediting {args.audience:,} of {args.customers:,} customers"
        f" (batches of {args.batch_size:,}), {args.rounds} rounds:\n"
        f"  service (create, schedule, job): median {service_median:.2f} s"
        f" ({args.audience / service_median:,.0f} customers/s)\n"
        f"  raw INSERT ... SELECT + UPDATE:  median {raw_median:.2f} s"
        f" ({args.audience / raw_median:,.0f} customers/s)\n"
        f"  raw time / service time (median of rounds): {ratio:.2f} (target >= 0.5)"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--audience", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--reseed", action="store_true", help="drop the database first")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        raise SystemExit("PostgreSQL only")
    return asyncio.run(measure(args))


if __name__ == "__main__":
    raise SystemExit(main())
