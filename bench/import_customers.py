"""Bulk customer import, end to end through the job, against a raw COPY baseline in the same run.

    .venv/bin/python bench/import_customers.py --rows 1000000 [--rounds 3]
        [--database-prefix loyalty_bench] [--redis-url redis://host:6379/8]

1. Generates a customer CSV with realistic mess: phone numbers in six national and international
   formats, mixed-case emails, ISO and US dates, quoted fields with commas, ~2% invalid rows
   (bad email, phone or date), ~1.5% duplicates (an email or a whole row repeated).
2. PostgreSQL, ours: a fresh database; the file is uploaded through the import service, the job
   enqueued on a real Redis (--redis-url, any database number, or an embedded one), and a real
   `loyalty worker --burst` process runs it. Wall time is from the upload to the end of the job
   (worker start included); the worker's peak RSS (its own, and with its validation processes)
   is sampled every 50 ms.
3. PostgreSQL, raw: another fresh database; the same file loaded with `COPY` into a staging
   table and one `INSERT ... SELECT ... ON CONFLICT DO NOTHING` into the same customer table,
   with no validation or normalization at all.
   Steps 2 and 3 make one round; --rounds repeats it, the raw baseline first in odd rounds and
   second in even ones, each on fresh databases named `<--database-prefix>_<pid>_...`, so load
   from other work hits both alike. The ratio is the median of the per-round ratios.
4. SQLite, ours: the same job on a SQLite file, once (skip with --no-sqlite).

Prints rows/s of both, the ratio (ours / raw), wall times and peak RSS. Targets: 1M rows in under
60 s, ratio >= 0.33, peak RSS <= 400 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.auth.principal import Principal  # noqa: E402
from app.config import Environment, Settings  # noqa: E402
from app.core.jobs import queue_bound  # noqa: E402
from app.db import close_db, init_db, migrate  # noqa: E402
from app.embedded_redis import EmbeddedRedis  # noqa: E402
from app.imports import service  # noqa: E402
from app.imports.options import ImportOptions  # noqa: E402
from app.models.imports import ImportJob, ImportKind  # noqa: E402
from app.models.organization import Organization, Store  # noqa: E402
from bench import harness  # noqa: E402

HEADER = [
    "Customer ID",
    "First Name",
    "Last Name",
    "E-mail",
    "Mobile",
    "Birthday",
    "City",
    "Zip",
    "Country",
    "Accepts Email Marketing",
    "Accepts SMS Marketing",
    "Store",
    "Tier",
]
FIRST = "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
FIRST += "Richard Susan Joseph Jessica Thomas Sarah Chloé Zoë José Renée Ana Luis Mei Aiko"
LAST = "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernández "
LAST += "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson"
CITIES = [
    "Austin",
    "Boston",
    "Chicago",
    "Denver",
    "Washington, D.C.",
    "Miami",
    "Seattle",
    "Portland",
]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "example-shop.com", "acme.io"]
AREAS = [201, 202, 212, 213, 305, 312, 415, 503, 617, 646, 702, 718, 773, 801, 917, 919]
STORES = [f"S{n:03d}" for n in range(1, 21)]
TIERS = ["Bronze", "Silver", "Gold", ""]
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def phone(rng: random.Random) -> str:
    area, mid, last = rng.choice(AREAS), rng.randint(200, 999), rng.randint(0, 9999)
    style = rng.randrange(10)
    if style == 0:
        return f"({area}) {mid}-{last:04d}"
    if style == 1:
        return f"+1 {area}-{mid}-{last:04d}"
    if style == 2:
        return f"{area}.{mid}.{last:04d}"
    if style == 3:
        return f"{area}{mid}{last:04d}"
    if style == 4:
        return f"1-{area}-{mid}-{last:04d}"
    if style == 5:
        return f"+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if style == 6:
        return f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} 12"
    return f"+1{area}{mid}{last:04d}"


def generate(path: Path, rows: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    first, last = FIRST.split(), LAST.split()
    stats = {"rows": rows, "invalid": 0, "duplicates": 0}
    written: list[list[str]] = []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            roll = rng.random()
            if written and roll < 0.005:
                writer.writerow(rng.choice(written))  # an exact duplicate row
                stats["duplicates"] += 1
                continue
            f, la = rng.choice(first), rng.choice(last)
            email = f"{f}.{la}{n}@{rng.choice(DOMAINS)}"
            if rng.random() < 0.3:
                email = email.upper() if rng.random() < 0.5 else email.title()
            if written and roll < 0.015:
                email = rng.choice(written)[3]  # same email as an earlier row
                stats["duplicates"] += 1
            number = phone(rng) if rng.random() < 0.85 else ""
            born = f"{rng.randint(1940, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            if rng.random() < 0.3:
                y, m, d = born.split("-")
                born = f"{m}/{d}/{y}"
            if 0.015 <= roll < 0.035:
                stats["invalid"] += 1
                kind = rng.randrange(3)
                if kind == 0:
                    email = email.replace("@", " at ")
                elif kind == 1:
                    number = "555-01" + str(rng.randint(0, 9))
                else:
                    born = "31/31/1990"
            row = [
                f"C{n:08d}",
                f,
                la,
                email,
                number,
                born if rng.random() < 0.8 else "",
                rng.choice(CITIES),
                f"{rng.randint(10000, 99999)}",
                "US",
                rng.choice(["yes", "no", "1", "0", "TRUE", ""]),
                rng.choice(["yes", "no", ""]) if number else "",
                rng.choice(STORES) if rng.random() < 0.5 else "",
                rng.choice(TIERS),
            ]
            writer.writerow(row)
            if len(written) < 5000 and rng.random() < 0.01:
                written.append(row)
    return stats


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class RssSampler:
    """Peak resident memory of a process alone and with its children, sampled in a thread.

    The sum of RSS counts pages the validation processes share with each other (the code
    and data they inherit from one forkserver) once per process; the sum of PSS divides
    each shared page among the processes sharing it, so it adds up to what the machine
    really gives them. Both are reported.
    """

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        # CPU seconds per process of the worker's tree (the last reading of each), and of the
        # whole machine over the same time: the rest is mostly PostgreSQL.
        self.cpu: dict[int, float] = {}
        self._machine_start = _busy_seconds()
        self.machine_cpu = 0.0
        self.peak_main = 0
        self.peak_total = 0
        self.peak_total_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        tick = 0
        while not self._stop.is_set():
            try:
                main = self.process.memory_info().rss
                children = self.process.children(recursive=True)
                rss = sum(c.memory_info().rss for c in children)
                if tick % 4 == 0:  # PSS reads every page table: sampled less often
                    pss = self.process.memory_full_info().pss
                    pss += sum(c.memory_full_info().pss for c in children)
                    self.peak_total_pss = max(self.peak_total_pss, pss)
            except psutil.Error:
                break
            self.peak_main = max(self.peak_main, main)
            self.peak_total = max(self.peak_total, main + rss)
            for process in (self.process, *children):
                with contextlib.suppress(psutil.Error):
                    times = process.cpu_times()
                    self.cpu[process.pid] = times.user + times.system
            tick += 1
            time.sleep(0.05)
        self.machine_cpu = _busy_seconds() - self._machine_start

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Result:
    rows: int
    wall: float
    job_seconds: float
    peak_main_mb: float
    peak_total_mb: float
    peak_total_pss_mb: float
    cpu_main: float
    cpu_validation: float
    cpu_other: float
    counts: dict[str, int]
    status: str


async def fresh_postgres(admin: str, prefix: str) -> str:
    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"{admin.rsplit('/', 1)[0]}/{name}"


async def drop_postgres(admin: str, url: str) -> None:
    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    await conn.close()


def run_ours(database_url: str, redis_url: str, data_dir: Path, csv_path: Path) -> Result:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key="bench-secret-key-" + "x" * 32,
    )

    async def prepare() -> tuple[str, float]:
        from arq.connections import create_pool

        from workers.settings import redis_settings

        await migrate(database_url)
        await init_db(database_url)
        try:
            org = await Organization.create(name="Bench", default_region="US")
            for code in STORES:
                await Store.create(organization_id=org.id, name=f"Store {code}", code=code)
            started = time.time()
            redis = await create_pool(redis_settings(redis_url))
            # The service sends the job's run to this queue once the job is committed.
            with queue_bound(redis), csv_path.open("rb") as source:
                job = await service.start_import(
                    Principal.system(org.id),
                    settings,
                    kind=ImportKind.CUSTOMERS,
                    source=source,
                    file_name=csv_path.name,
                    options=ImportOptions(unmapped_as_traits=True),
                )
            await redis.aclose()
            assert job.status.value == "QUEUED", (job.error_code, job.error_message)
            return str(job.id), started
        finally:
            await close_db()

    job_id, started = asyncio.run(prepare())
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_DATA_DIR": str(data_dir),
        "LOYALTY_SECRET_KEY": settings.secret_key,
        # BENCH_WORKER_LOG_LEVEL=INFO shows the job's time per phase.
        "LOYALTY_LOG_LEVEL": os.environ.get("BENCH_WORKER_LOG_LEVEL", "WARNING"),
    }
    worker = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "loyalty"), "worker", "--burst"], env=env, cwd=ROOT
    )
    sampler = RssSampler(worker.pid)
    worker.wait()
    sampler.stop()

    async def read() -> ImportJob:
        await init_db(database_url)
        try:
            return await ImportJob.get(id=job_id)
        finally:
            await close_db()

    job = asyncio.run(read())
    wall = (job.finished_at.timestamp() if job.finished_at else time.time()) - started
    job_seconds = (
        (job.finished_at - job.started_at).total_seconds()
        if job.finished_at and job.started_at
        else float("nan")
    )
    return Result(
        rows=job.total_rows,
        wall=wall,
        job_seconds=job_seconds,
        peak_main_mb=sampler.peak_main / 2**20,
        peak_total_mb=sampler.peak_total / 2**20,
        peak_total_pss_mb=sampler.peak_total_pss / 2**20,
        cpu_main=sampler.cpu.get(worker.pid, 0.0),
        cpu_validation=sum(v for k, v in sampler.cpu.items() if k != worker.pid),
        cpu_other=sampler.machine_cpu - sum(sampler.cpu.values()),
        counts={
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "invalid": job.invalid_count,
            "suppressed": job.suppressed_count,
        },
        status=job.status.value,
    )


RAW_COLUMNS = [
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "birthday",
    "city",
    "zip",
    "country",
    "email_ok",
    "sms_ok",
    "store",
    "tier",
]


async def run_raw(database_url: str, csv_path: Path) -> float:
    """COPY into a staging table + one INSERT ... ON CONFLICT, no validation: the floor."""
    await migrate(database_url)
    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        org = await conn.fetchval(
            "INSERT INTO organization (id, name, default_region, timezone, settings, created_at,"
            " updated_at) VALUES (gen_random_uuid(), 'Raw', 'US', 'UTC', '{}', now(), now())"
            " RETURNING id"
        )
        started = time.perf_counter()
        async with conn.transaction():
            columns = ", ".join(f"{c} text" for c in RAW_COLUMNS)
            await conn.execute(f"CREATE TEMP TABLE raw_stage ({columns}) ON COMMIT DROP")
            await conn.copy_to_table(
                "raw_stage", source=str(csv_path), format="csv", header=True, columns=RAW_COLUMNS
            )
            await conn.execute(
                "INSERT INTO customer (id, organization_id, status, email, phone,"
                " external_reference, first_name, last_name, first_name_key, last_name_key,"
                " city, postal_code, country, traits, loyalty_enrolled, email_opt_in, sms_state,"
                " push_opt_in, points_balance, lifetime_points, order_count, total_spent,"
                " lifecycle_stage, created_at, updated_at)"
                " SELECT gen_random_uuid(), $1, 'ACTIVE', lower(nullif(email, '')),"
                " left(nullif(phone, ''), 20), customer_id, coalesce(first_name, ''),"
                " coalesce(last_name, ''), lower(coalesce(first_name, '')),"
                " lower(coalesce(last_name, '')), city, zip, country,"
                " jsonb_build_object('Tier', tier), true,"
                " coalesce(email_ok = 'yes', false), 'NOT_SUBSCRIBED',"
                " false, 0, 0, 0, 0, 'MEMBER', now(), now() FROM raw_stage"
                " ON CONFLICT DO NOTHING",
                org,
            )
        return time.perf_counter() - started
    finally:
        await conn.close()


def run_round(
    args: argparse.Namespace, round_number: int, redis_url: str, work: Path, csv_path: Path
) -> tuple[float, Result]:
    """One (raw, ours) pair on fresh databases, in the order of this round."""
    ours_url = asyncio.run(fresh_postgres(args.pg_admin, args.database_prefix))
    raw_url = asyncio.run(fresh_postgres(args.pg_admin, args.database_prefix))
    raw_seconds = 0.0
    ours: Result | None = None
    try:
        for side in harness.round_order(round_number, ("raw", "ours")):
            if side == "raw":
                raw_seconds = asyncio.run(run_raw(raw_url, csv_path))
                print(
                    f"round {round_number}: postgres raw COPY + INSERT ON CONFLICT:"
                    f" {raw_seconds:.1f} s",
                    flush=True,
                )
            else:
                ours = run_ours(ours_url, redis_url, work / f"pg-data-{round_number}", csv_path)
                print(
                    f"round {round_number}: postgres import job: {ours.wall:.1f} s, {ours.status}",
                    flush=True,
                )
    finally:
        if not args.keep:
            asyncio.run(drop_postgres(args.pg_admin, ours_url))
            asyncio.run(drop_postgres(args.pg_admin, raw_url))
    assert ours is not None
    return raw_seconds, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-admin", default=os.environ.get("TEST_POSTGRES_URL", PG_ADMIN))
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL runs")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument("--rounds", type=int, default=3, help="PostgreSQL (raw, ours) pairs")
    parser.add_argument("--database-prefix", default="loyalty_bench", help="of fresh databases")
    parser.add_argument(
        "--redis-url", help="the job queue (any database number); default: embedded"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="loyalty-bench-"))
    csv_path = work / f"customers-{args.rows}.csv"
    t0 = time.perf_counter()
    stats = generate(csv_path, args.rows)
    size_mb = csv_path.stat().st_size / 2**20
    print(
        f"generated {args.rows:,} rows ({size_mb:.0f} MB, ~{stats['invalid']:,} invalid,"
        f" ~{stats['duplicates']:,} duplicates) in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    embedded = None
    redis_url = args.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(work / "redis")
        redis_url = embedded.start()
    report: dict[str, Any] = {"rows": args.rows, "cpus": os.cpu_count()}
    try:
        if not args.no_postgres:
            pairs: list[tuple[float, float]] = []
            runs: list[tuple[float, Result]] = []
            for round_number in range(1, args.rounds + 1):
                raw_seconds, ours = run_round(args, round_number, redis_url, work, csv_path)
                pairs.append((args.rows / ours.wall, args.rows / raw_seconds))
                runs.append((raw_seconds, ours))
            # The round whose ratio is the median stands for the run (its memory and CPU).
            ratio = harness.median_ratio(pairs)
            raw_seconds, ours = min(
                runs, key=lambda r: abs((r[0] / r[1].wall) - ratio) if r[1].wall else 0.0
            )
            ours_rate = args.rows / ours.wall
            raw_rate = args.rows / raw_seconds
            report["postgres"] = {
                "wall_seconds": round(ours.wall, 1),
                "job_seconds": round(ours.job_seconds, 1),
                "rows_per_second": round(ours_rate),
                "raw_seconds": round(raw_seconds, 1),
                "raw_rows_per_second": round(raw_rate),
                "ratio": round(ratio, 2),
                "rounds": [
                    {"raw_seconds": round(r, 1), "wall_seconds": round(o.wall, 1)} for r, o in runs
                ],
                "worker_peak_rss_mb": round(ours.peak_main_mb),
                "worker_peak_rss_with_validation_processes_mb": round(ours.peak_total_mb),
                "worker_peak_pss_with_validation_processes_mb": round(ours.peak_total_pss_mb),
                "cpu_seconds": {
                    "worker": round(ours.cpu_main, 1),
                    "validation_processes": round(ours.cpu_validation, 1),
                    "rest_of_machine_mostly_postgres": round(ours.cpu_other, 1),
                },
                "status": ours.status,
                "counts": ours.counts,
            }
        if not args.no_sqlite:
            ours = run_ours(
                f"sqlite://{work / 'bench.sqlite3'}", redis_url, work / "lite-data", csv_path
            )
            report["sqlite"] = {
                "wall_seconds": round(ours.wall, 1),
                "job_seconds": round(ours.job_seconds, 1),
                "rows_per_second": round(args.rows / ours.wall),
                "worker_peak_rss_mb": round(ours.peak_main_mb),
                "worker_peak_rss_with_validation_processes_mb": round(ours.peak_total_mb),
                "status": ours.status,
                "counts": ours.counts,
            }
    finally:
        if embedded is not None:
            embedded.stop()
    print(json.dumps(report, indent=2))
    pg = report.get("postgres")
    if pg:
        print(
            f"\nPostgreSQL: {args.rows:,} rows in {pg['wall_seconds']} s = "
            f"{pg['rows_per_second']:,} rows/s; raw {pg['raw_rows_per_second']:,} rows/s; "
            f"ratio {pg['ratio']} (median of per-round ratios);"
            f" worker peak RSS {pg['worker_peak_rss_mb']} MB "
            f"({pg['worker_peak_rss_with_validation_processes_mb']} MB RSS,"
            f" {pg['worker_peak_pss_with_validation_processes_mb']} MB PSS with validation"
            " processes)"
        )
    lite = report.get("sqlite")
    if lite:
        print(
            f"SQLite: {args.rows:,} rows in {lite['wall_seconds']} s = "
            f"{lite['rows_per_second']:,} rows/s; worker peak RSS {lite['worker_peak_rss_mb']} MB"
        )


if __name__ == "__main__":
    main()
