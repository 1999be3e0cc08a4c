"""SMS double opt-in at scale: an import's confirmation texts, and the inbound webhook.

    .venv/bin/python bench/sms.py [--customers 100000] [--rounds 3] [--duration 5]
        [--connections 16] [--database-prefix loyalty_bench_sms] [--redis-url redis://...]

PostgreSQL only. Not a test and never run on CI.

1. **Texts after an import.** A CSV of --customers customers, each with a phone and "SMS
   opt-in: yes", is imported through the import service with `smsDoubleOptIn: IMMEDIATELY`
   into a fresh database whose organization texts at any hour (quiet hours 00:00-24:00) and
   unthrottled, through the outbox provider. A real `loyalty worker --burst` process runs the
   import, its follow-up job and one send job per text. Measured: from the import's
   `finished_at` to the last text's `sent_at`, every text DELIVERED exactly once.
   Baseline, same database, same run: the same rows (one per PENDING customer, DELIVERED)
   written by one `INSERT ... SELECT` statement.
2. **Inbound webhook.** `loyalty api` (production settings) and the bare Starlette app of
   bench/raw_sms_webhook_app.py (reads the form, checks the signature, answers empty TwiML),
   each driven by --connections keep-alive connections with signed `YES` replies from the
   imported customers, each with its own MessageSid (so every request does the real work:
   the inbound row, the keyword, the consent change and its evidence), alternating which side
   goes first every round. Prints requests/s and p99 of both and the median per-round ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import io
import itertools
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.import_customers import drop_postgres, fresh_postgres  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
AUTH_TOKEN = "bench-auth-token-" + "0" * 16
OUR_NUMBER = "+15005550006"
PUBLIC_URL = "https://loyalty.bench.invalid"
WEBHOOK_PATH = "/webhooks/sms/twilio"
AREAS = (201, 202, 212, 213, 305, 312, 415, 503, 617, 646, 702, 718, 773, 801, 917, 919)


def phone(n: int) -> str:
    """A distinct valid North American number per n (16 areas x 800 exchanges x 10,000)."""
    area = AREAS[n % len(AREAS)]
    exchange = 200 + (n // len(AREAS)) % 800
    line = n // (len(AREAS) * 800)
    return f"+1{area}{exchange}{line:04d}"


def customers_csv(count: int) -> bytes:
    lines = ["Email,Phone,SMS opt-in"]
    lines += [f"shopper{n}@example.com,{phone(n)},yes" for n in range(count)]
    return ("\n".join(lines) + "\n").encode()


# --- 1. texts after an import -----------------------------------------------------------------


async def start_import(database_url: str, redis_url: str, data_dir: Path, count: int) -> str:
    from arq.connections import create_pool

    from app.auth.principal import Principal
    from app.config import Environment, Settings
    from app.core.jobs import queue_bound
    from app.db import close_db, init_db, migrate
    from app.imports import service
    from app.imports.options import ImportOptions, SmsDoubleOptIn, SmsSchedule
    from app.models.imports import ImportKind
    from app.models.organization import Organization
    from workers.settings import redis_settings

    settings = Settings(
        env=Environment.DEVELOPMENT,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench-secret-key-" + "x" * 32,
    )
    await migrate(database_url)
    await init_db(database_url)
    try:
        sms = {"quiet_hours": ["00:00", "24:00"], "from_number": OUR_NUMBER}
        org = await Organization.create(
            name="SMS bench", default_region="US", settings={"sms": sms}
        )
        redis = await create_pool(redis_settings(redis_url))
        with queue_bound(redis):
            job = await service.start_import(
                Principal.system(org.id),
                settings,
                kind=ImportKind.CUSTOMERS,
                source=io.BytesIO(customers_csv(count)),
                file_name="customers.csv",
                options=ImportOptions(sms_double_opt_in=SmsSchedule(SmsDoubleOptIn.IMMEDIATELY)),
            )
        await redis.aclose()
        assert job.status.value == "QUEUED", (job.error_code, job.error_message)
        return str(org.id)
    finally:
        await close_db()


def run_worker(database_url: str, redis_url: str, data_dir: Path) -> float:
    """Run the burst worker to the end; the CPU seconds it used (on a shared machine the
    wall time says more about the neighbours than about the code)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_DATA_DIR": str(data_dir),
        "LOYALTY_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "LOYALTY_LOG_LEVEL": "WARNING",
    }
    loyalty = str(Path(sys.executable).parent / "loyalty")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([loyalty, "worker", "--burst"], env=env, cwd=ROOT, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


async def measure_texts(database_url: str, org_id: str) -> tuple[int, float]:
    """(texts, seconds from the import's end to the last text sent), all checked DELIVERED."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        finished = await conn.fetchval(
            "SELECT finished_at FROM import_job WHERE organization_id = $1", org_id
        )
        rows = await conn.fetch(
            "SELECT status, count(*) AS n, max(sent_at) AS last, max(attempts) AS attempts"
            " FROM outbox_message WHERE organization_id = $1 AND purpose = 'DOUBLE_OPT_IN'"
            " GROUP BY status",
            org_id,
        )
        pending = await conn.fetchval(
            "SELECT count(*) FROM customer WHERE organization_id = $1 AND sms_state = 'PENDING'",
            org_id,
        )
    finally:
        await conn.close()
    by_status = {r["status"]: r for r in rows}
    delivered = by_status.get("DELIVERED")
    if delivered is None or len(by_status) != 1 or delivered["n"] != pending:
        raise RuntimeError(f"not every text was delivered: {[dict(r) for r in rows]}")
    if delivered["attempts"] != 1:
        raise RuntimeError("a text was sent more than once")
    return int(delivered["n"]), (delivered["last"] - finished).total_seconds()


async def raw_texts(database_url: str, org_id: str) -> tuple[int, float]:
    """The same rows, DELIVERED, in one INSERT ... SELECT (then removed)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        body = await conn.fetchval(
            "SELECT body FROM outbox_message WHERE organization_id = $1 LIMIT 1", org_id
        )
        started = time.perf_counter()
        status = await conn.execute(
            """INSERT INTO outbox_message (id, organization_id, customer_id, channel, purpose,
                   recipient, body, status, provider, provider_message_id, attempts,
                   idempotency_key, created_at, sent_at, delivered_at, updated_at)
               SELECT gen_random_uuid(), organization_id, id, 'SMS', 'DOUBLE_OPT_IN', phone, $2,
                   'DELIVERED', 'outbox', gen_random_uuid()::text, 1,
                   'raw:' || id::text, now(), now(), now(), now()
               FROM customer WHERE organization_id = $1 AND sms_state = 'PENDING'""",
            org_id,
            body,
        )
        seconds = time.perf_counter() - started
        await conn.execute(
            "DELETE FROM outbox_message WHERE organization_id = $1"
            " AND idempotency_key LIKE 'raw:%'",
            org_id,
        )
    finally:
        await conn.close()
    return int(status.rsplit(" ", 1)[1]), seconds


# --- 2. the inbound webhook ---------------------------------------------------------------------


def signature(params: dict[str, str]) -> str:
    signed = PUBLIC_URL + WEBHOOK_PATH + "".join(k + params[k] for k in sorted(params))
    digest = hmac.new(AUTH_TOKEN.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def webhook_requests(port: int, senders: list[str]) -> Callable[[], Iterator[bytes]]:
    """Signed YES replies, one per sender and each with its own MessageSid, handed out once
    across all connections (a replayed sid would be the cheap path of an idempotent hook)."""
    prepared = []
    for sender in senders:
        params = {
            "MessageSid": "SM" + secrets.token_hex(16),
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": OUR_NUMBER,
            "Body": "YES",
            "NumMedia": "0",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature(params),
        }
        body = urllib.parse.urlencode(params).encode()
        prepared.append(harness.http_post(WEBHOOK_PATH, port, body, headers))
    shared = iter(prepared)

    def next_requests() -> Iterator[bytes]:
        return shared

    return next_requests


def bench_webhook(
    database_url: str, redis_url: str, work: Path, args: argparse.Namespace
) -> dict[str, list[harness.Run]]:
    env = harness.service_env(database_url, redis_url, work)
    env.update(
        {
            "LOYALTY_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "LOYALTY_PUBLIC_URL": PUBLIC_URL,
            "LOYALTY_SMS_FROM": OUR_NUMBER,
        }
    )
    raw_env = {
        **os.environ,
        "BENCH_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BENCH_WEBHOOK_URL": PUBLIC_URL + WEBHOOK_PATH,
    }
    ports, api, raw = harness.start_service_and_raw(
        env, raw_env, "bench.raw_sms_webhook_app:app", work
    )
    senders = [phone(n) for n in range(args.customers)]
    runs: dict[str, list[harness.Run]] = {"service": [], "raw": []}
    offset = itertools.count()
    try:
        for round_number in range(1, args.rounds + 1):
            for side in harness.round_order(round_number, ("service", "raw")):
                # Each round of the service answers replies nobody has sent yet.
                start = next(offset) * args.per_round % max(1, len(senders) - args.per_round)
                batch = senders[start : start + args.per_round]
                requests = webhook_requests(ports[side], batch)
                run = harness.drive(ports[side], requests, args.duration, args.connections)
                runs[side].append(run)
                harness.log(
                    f"round {round_number} {side}: {run.rps:.0f} req/s,"
                    f" p99 {run.p99_ms:.1f} ms, {run.errors} errors"
                )
    finally:
        harness.stop(api)
        harness.stop(raw)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--per-round", type=int, default=20_000, help="distinct replies prepared per run"
    )
    parser.add_argument("--database-prefix", default="loyalty_bench_sms")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"))
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    from app.embedded_redis import EmbeddedRedis

    work = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    embedded = None
    redis_url = args.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(work / "redis")
        redis_url = embedded.start()
    database_url = asyncio.run(fresh_postgres(PG_ADMIN, args.database_prefix))
    try:
        harness.log(f"importing {args.customers} customers with IMMEDIATELY into {database_url}")
        org_id = asyncio.run(start_import(database_url, redis_url, work / "data", args.customers))
        started = time.perf_counter()
        worker_cpu = run_worker(database_url, redis_url, work / "data")
        harness.log(f"worker done in {time.perf_counter() - started:.1f} s, {worker_cpu:.1f} CPU s")
        texts, ours = asyncio.run(measure_texts(database_url, org_id))
        raw_count, raw = asyncio.run(raw_texts(database_url, org_id))
        print()
        print(f"confirmation texts after an import of {args.customers} customers (outbox provider)")
        print(
            f"ours: {texts} texts DELIVERED in {ours:.1f} s after the import ended"
            f" ({texts / ours:.0f} texts/s)"
        )
        print(
            f"raw:  {raw_count} rows in one INSERT ... SELECT: {raw:.2f} s"
            f" ({raw_count / raw:.0f} rows/s)"
        )
        print(f"ratio (ours / raw, throughput): {raw / ours:.3f}")
        print(
            f"worker CPU: {worker_cpu:.1f} s for the import and its texts"
            f" ({worker_cpu / texts * 1000:.1f} ms per customer)"
        )

        runs = bench_webhook(database_url, redis_url, work, args)
        harness.print_summary(
            f"POST {WEBHOOK_PATH}, signed YES replies, {args.connections} connections",
            runs,
            "service",
            "raw",
        )
    finally:
        if not args.keep:
            asyncio.run(drop_postgres(PG_ADMIN, database_url))
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
