"""Privacy erasures end to end through a real worker, next to a raw SQL baseline in the same run.

    .venv/bin/python bench/privacy.py [--customers 1000000] [--requests 10000] [--rounds 2]
        [--samples 30] [--database-url postgres://postgres@127.0.0.1:5432/bench_h10_privacy]
        [--redis-url redis://127.0.0.1:6379/10]

Not a test and never run on CI. PostgreSQL only. It
1. creates (or reuses) the database, migrates it and seeds the organization "Privacy bench
   <customers>" with `app.seed` (binary COPY: orders, items, ledgers with lots, consents). A rerun
   with the same size reuses the rows (erased customers are never picked again); --reseed drops
   the database first.
2. picks 2 x --requests ACTIVE customers in a random order and deals them out alternately, so
   the service's customers and the baseline's are comparable (same points, orders, consents).
3. runs --rounds rounds; each round carries out --requests/--rounds erasures both ways, the
   service first in odd rounds and the baseline first in even ones (bench.harness):
   - service: staff file ERASE requests through `privacy_requests.service.file_request` (one
     after the other, as support staff do; timed on its own, no worker running), then a real
     `loyalty worker --burst` process (REDIS_URL on db 10, 10 jobs at a time, as deployed)
     carries them out and exits when the queue is empty. Throughput = requests / (last
     completed_at - first started_at) from the request rows; the wall time from the worker's
     launch to its exit (start-up included) is printed too.
   - raw: the same rows changed with plain SQL from one asyncpg connection, a per-customer
     loop, one transaction per customer (as the service has one per request): lock the row,
     append the ERASE ledger entry and zero the lots in one UPDATE, blank the customer's
     fields, de-link its orders, null its consent evidence text, delete its persona
     assignments. No request bookkeeping, no audit entries, no outbox or import row-error
     redaction, no merged-customer chain walk, no job queue: the floor.
4. prints erasures/s both ways, the median of the per-round ratios service/raw (and the range);
5. latency: a non-burst worker is started and left idle; --samples single requests are filed
   one at a time and each is waited for until DONE; prints p50/p90/max from the call to
   `file_request` to the moment the bench reads DONE (polled every 10 ms). Target: p50 <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.principal import Principal, PrincipalKind  # noqa: E402
from app.config import Environment, Settings  # noqa: E402
from app.core.jobs import queue_bound  # noqa: E402
from app.db import close_db, init_db, migrate  # noqa: E402
from app.models.organization import Organization  # noqa: E402
from app.models.privacy_request import PrivacyRequestKind  # noqa: E402
from app.models.staff import Role, Staff  # noqa: E402
from app.privacy_requests import service  # noqa: E402
from app.seed.writer import seed_organization  # noqa: E402
from bench import harness  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_h10_privacy"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
AS_OF = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
SECRET = "bench-secret-key-" + "x" * 32
POLL = 0.01

# The raw baseline, statement by statement (what `erasure.erase_rows` does for one customer
# with no merged customers, outbox messages or import row errors).
RAW_LOCK = "SELECT points_balance FROM customer WHERE id = $1 AND organization_id = $2 FOR UPDATE"
RAW_LEDGER = (
    "INSERT INTO ledger_entry (id, organization_id, customer_id, kind, points, reason,"
    " actor_kind, remaining, balance_after, created_at)"
    " VALUES (gen_random_uuid(), $2, $1, 'ERASE', -$3::int, 'erased on a privacy request',"
    " 'SYSTEM', 0, 0, now())"
)
RAW_LOTS = "UPDATE ledger_entry SET remaining = 0 WHERE customer_id = $1 AND remaining > 0"
RAW_CUSTOMER = (
    "UPDATE customer SET email = NULL, phone = NULL, external_reference = NULL,"
    " first_name = '', last_name = '', first_name_key = '', last_name_key = '',"
    " birthday = NULL, birthday_monthday = NULL, city = NULL, region = NULL,"
    " postal_code = NULL, country = NULL, traits = '{}', favorite_store_id = NULL,"
    " favorite_store_source = NULL, email_opt_in = false, sms_state = 'NOT_SUBSCRIBED',"
    " push_opt_in = false, referred_by_id = NULL, archive_reason = NULL, status = 'ERASED',"
    " points_balance = 0, lifetime_points = 0, rfm_recency = NULL, rfm_frequency = NULL,"
    " rfm_monetary = NULL, rfm_segment = NULL, updated_at = now() WHERE id = $1"
)
RAW_ORDERS = "UPDATE customer_order SET customer_id = NULL WHERE customer_id = $1"
RAW_CONSENT = "UPDATE consent_event SET text = NULL WHERE customer_id = $1"
# By (persona set, customer), the key assignments are indexed on, as the service does.
RAW_PERSONA = (
    "DELETE FROM persona_assignment WHERE customer_id = $1"
    " AND persona_set_id IN (SELECT id FROM persona_set WHERE organization_id = $2)"
)


def pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


@dataclass
class Side:
    seconds: float
    count: int

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("nan")


@dataclass
class ServiceRound:
    filing: Side
    worker: Side
    wall: float


async def prepare(url: str, customers: int, orders_per_customer: float) -> tuple[uuid.UUID, Staff]:
    """The organization of this size, seeded, and a staff member (OWNER) who files requests."""
    name = f"Privacy bench {customers}"
    org = await Organization.get_or_none(name=name)
    if org is None:
        org = await Organization.create(name=name, slug=f"privacy-bench-{customers}")
    conn = await asyncpg.connect(pg(url))
    try:
        have = await conn.fetchval(
            "SELECT count(*) FROM customer WHERE organization_id = $1", org.id
        )
    finally:
        await conn.close()
    if have < customers:
        started = time.perf_counter()
        summary = await seed_organization(
            org.id, customers - have, orders_per_customer, 11, now=AS_OF, segments=False
        )
        harness.log(
            f"seeded {summary.customers:,} customers, {summary.orders:,} orders,"
            f" {summary.ledger_entries:,} ledger entries in {time.perf_counter() - started:.0f} s"
        )
    await add_consents_and_personas(url, org.id)
    staff = await Staff.filter(organization_id=org.id, role=Role.OWNER).first()
    if staff is None:
        staff = await Staff.create(
            organization_id=org.id,
            email="support@bench.invalid",
            name="Bench support",
            role=Role.OWNER,
            password_hash="!",  # noqa: S106 - no password: nobody signs in as it
        )
    return org.id, staff


async def add_consents_and_personas(url: str, org_id: uuid.UUID) -> None:
    """What a live organization has and the seed does not write: a consent event with its
    evidence text per customer, and a current persona set assigning every customer (so an
    erasure pays for finding and changing those rows among a million others)."""
    conn = await asyncpg.connect(pg(url))
    try:
        if not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM consent_event WHERE organization_id = $1)", org_id
        ):
            started = time.perf_counter()
            await conn.execute(
                "INSERT INTO consent_event (id, organization_id, customer_id, channel, state,"
                " source, text, created_at) SELECT gen_random_uuid(), organization_id, id,"
                " 'EMAIL', 'OPTED_IN', 'SIGNUP_FORM', 'Yes, send me offers by email.', now()"
                " FROM customer WHERE organization_id = $1",
                org_id,
            )
            set_id = await conn.fetchval(
                "INSERT INTO persona_set (id, organization_id, status, is_current, forced,"
                " customer_count, details, created_at, generated_at) VALUES (gen_random_uuid(),"
                " $1, 'READY', true, false, 0, '{}', now(), now()) RETURNING id",
                org_id,
            )
            identities = [uuid.uuid4() for _ in range(5)]
            await conn.execute(
                "INSERT INTO persona_assignment (persona_set_id, customer_id, persona_identity_id)"
                " SELECT $1, id, ($2::uuid[])[1 + abs(hashtext(id::text)) % 5]"
                " FROM customer WHERE organization_id = $3",
                set_id,
                identities,
                org_id,
            )
            await conn.execute("ANALYZE consent_event; ANALYZE persona_assignment")
            harness.log(
                f"consent events and persona assignments added in"
                f" {time.perf_counter() - started:.0f} s"
            )
    finally:
        await conn.close()


async def pick_customers(url: str, org_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(pg(url))
    try:
        rows = await conn.fetch(
            "SELECT id FROM customer c WHERE organization_id = $1 AND status = 'ACTIVE'"
            " AND NOT EXISTS (SELECT 1 FROM privacy_request r WHERE r.customer_id = c.id)"
            " ORDER BY random() LIMIT $2",
            org_id,
            count,
        )
    finally:
        await conn.close()
    if len(rows) < count:
        raise SystemExit(f"only {len(rows)} ACTIVE customers left: use --reseed or fewer requests")
    return [r["id"] for r in rows]


def worker_env(url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "LOYALTY_DATA_DIR": str(data_dir),
        "LOYALTY_SECRET_KEY": SECRET,
        "LOYALTY_LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG_LEVEL", "WARNING"),
    }


def worker_command(burst: bool) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "loyalty"), "worker", *(["--burst"] if burst else [])]


async def file_all(
    principal: Principal, settings: Settings, redis_url: str, ids: list[uuid.UUID]
) -> tuple[list[uuid.UUID], float]:
    """File one ERASE request per customer through the service, as staff do."""
    from arq.connections import create_pool

    from workers.settings import redis_settings

    redis = await create_pool(redis_settings(redis_url))
    started = time.perf_counter()
    try:
        with queue_bound(redis):
            requests = [
                (
                    await service.file_request(
                        principal,
                        settings,
                        PrivacyRequestKind.ERASE,
                        service.Target(customer_id=customer_id),
                        "bench",
                    )
                ).id
                for customer_id in ids
            ]
    finally:
        await redis.aclose()
    return requests, time.perf_counter() - started


async def run_service(
    url: str,
    redis_url: str,
    principal: Principal,
    settings: Settings,
    ids: list[uuid.UUID],
    log_path: Path,
) -> ServiceRound:
    requests, filing_seconds = await file_all(principal, settings, redis_url, ids)
    launched = time.perf_counter()
    worker = harness.start(
        worker_command(burst=True), worker_env(url, redis_url, settings.data_dir), log_path
    )
    # A burst worker exits once the queue is empty.
    await asyncio.to_thread(worker.wait)
    wall = time.perf_counter() - launched
    if worker.returncode != 0:
        raise RuntimeError(f"worker exited with {worker.returncode}; see {log_path}")
    conn = await asyncpg.connect(pg(url))
    try:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'DONE') AS done,"
            " extract(epoch FROM max(completed_at) - min(started_at)) AS seconds"
            " FROM privacy_request WHERE id = any($1::uuid[])",
            requests,
        )
    finally:
        await conn.close()
    if row["done"] != len(requests):
        raise RuntimeError(f"{row['done']} of {len(requests)} requests DONE; see {log_path}")
    return ServiceRound(
        filing=Side(filing_seconds, len(requests)),
        worker=Side(float(row["seconds"]), len(requests)),
        wall=wall,
    )


async def run_raw(url: str, org_id: uuid.UUID, ids: list[uuid.UUID]) -> Side:
    """The floor: the same row changes with plain SQL, one transaction per customer."""
    conn = await asyncpg.connect(pg(url))
    try:
        started = time.perf_counter()
        for customer_id in ids:
            async with conn.transaction():
                balance = await conn.fetchval(RAW_LOCK, customer_id, org_id)
                if balance:
                    await conn.execute(RAW_LEDGER, customer_id, org_id, balance)
                    await conn.execute(RAW_LOTS, customer_id)
                await conn.execute(RAW_CUSTOMER, customer_id)
                await conn.execute(RAW_ORDERS, customer_id)
                await conn.execute(RAW_CONSENT, customer_id)
                await conn.execute(RAW_PERSONA, customer_id, org_id)
        return Side(time.perf_counter() - started, len(ids))
    finally:
        await conn.close()


async def latency(
    url: str,
    redis_url: str,
    principal: Principal,
    settings: Settings,
    ids: list[uuid.UUID],
    log_path: Path,
) -> list[float]:
    """Seconds from filing to DONE, one request at a time with an idle worker (the first
    request only warms the worker up and is not counted)."""
    from arq.connections import create_pool

    from workers.settings import redis_settings

    worker = harness.start(
        worker_command(burst=False), worker_env(url, redis_url, settings.data_dir), log_path
    )
    redis = await create_pool(redis_settings(redis_url))
    conn = await asyncpg.connect(pg(url))
    samples: list[float] = []
    try:
        for index, customer_id in enumerate(ids):
            started = time.perf_counter()
            with queue_bound(redis):
                request = await service.file_request(
                    principal,
                    settings,
                    PrivacyRequestKind.ERASE,
                    service.Target(customer_id=customer_id),
                    "bench",
                )
            deadline = started + 120
            while (
                await conn.fetchval("SELECT status FROM privacy_request WHERE id = $1", request.id)
                != "DONE"
            ):
                if time.perf_counter() > deadline or worker.poll() is not None:
                    raise RuntimeError(f"request not DONE after 120 s; see {log_path}")
                await asyncio.sleep(POLL)
            if index:
                samples.append(time.perf_counter() - started)
            # Idle between samples: the worker waits on an empty queue, as between staff.
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
        await redis.aclose()
        harness.stop(worker)
    return samples


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main_async(args: argparse.Namespace) -> None:
    await harness.ensure_database(args.database_url, args.reseed)
    await migrate(args.database_url)
    await init_db(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="bench_h10_privacy_"))
    settings = Settings(
        env=Environment.DEVELOPMENT,
        data_dir=work / "data",
        database_url=args.database_url,
        redis_url=args.redis_url,
        secret_key=SECRET,
    )
    try:
        from redis.asyncio import Redis

        flush = Redis.from_url(args.redis_url)
        await flush.flushdb()  # this bench's own Redis database: leftovers of an earlier run
        await flush.aclose()
        org_id, staff = await prepare(args.database_url, args.customers, args.orders_per_customer)
        principal = Principal(
            organization_id=org_id, kind=PrincipalKind.STAFF, subject_id=staff.id, role=Role.OWNER
        )
        per_round = args.requests // args.rounds
        picked = await pick_customers(
            args.database_url, org_id, 2 * per_round * args.rounds + args.samples + 1
        )
        ours_ids, raw_ids = picked[0 : 2 * per_round * args.rounds : 2], picked[1::2]
        latency_ids = picked[2 * per_round * args.rounds :]
        print(
            f"{args.customers:,} customers, {per_round * args.rounds:,} erasures each way in"
            f" {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        pairs: list[tuple[float, float]] = []
        services: list[ServiceRound] = []
        raws: list[Side] = []
        for number in range(1, args.rounds + 1):
            chunk = slice((number - 1) * per_round, number * per_round)
            ours: ServiceRound | None = None
            raw: Side | None = None
            for side in harness.round_order(number, ("service", "raw")):
                if side == "service":
                    ours = await run_service(
                        args.database_url,
                        args.redis_url,
                        principal,
                        settings,
                        ours_ids[chunk],
                        work / f"worker-{number}.log",
                    )
                    print(
                        f"round {number}: service: filing {ours.filing.rate:.0f} requests/s"
                        f" ({ours.filing.seconds:.1f} s); worker {ours.worker.rate:.1f}"
                        f" erasures/s ({ours.worker.seconds:.1f} s first start to last DONE,"
                        f" {ours.wall:.1f} s wall from launch to exit)",
                        flush=True,
                    )
                else:
                    raw = await run_raw(args.database_url, org_id, raw_ids[chunk])
                    print(
                        f"round {number}: raw per-customer SQL loop: {raw.rate:.1f} erasures/s"
                        f" ({raw.seconds:.1f} s)",
                        flush=True,
                    )
            assert ours is not None
            assert raw is not None
            services.append(ours)
            raws.append(raw)
            pairs.append((ours.worker.rate, raw.rate))
        ratio = harness.median_ratio(pairs)
        low, high = harness.ratio_range(pairs)
        print()
        print(
            f"service (worker): {statistics.median(s.worker.rate for s in services):.1f}"
            f" erasures/s (median of rounds); filing through the service"
            f" {statistics.median(s.filing.rate for s in services):.0f} requests/s;"
            f" worker wall {statistics.median(s.wall for s in services):.1f} s per"
            f" {per_round:,} requests"
        )
        raw_rate = statistics.median(r.rate for r in raws)
        print(f"raw per-customer SQL loop: {raw_rate:.1f} erasures/s")
        print(
            f"ratio service/raw (throughput): median of per-round ratios {ratio:.2f}"
            f" (rounds {low:.2f}-{high:.2f})"
        )
        samples = await latency(
            args.database_url,
            args.redis_url,
            principal,
            settings,
            latency_ids,
            work / "worker-latency.log",
        )
        print(
            f"filing to DONE, one request at a time, idle worker ({len(samples)} samples):"
            f" p50 {percentile(samples, 0.5):.2f} s, p90 {percentile(samples, 0.9):.2f} s,"
            f" max {max(samples):.2f} s (target p50 <= 2 s)"
        )
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--orders-per-customer", type=float, default=3.0)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
